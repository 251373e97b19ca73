// The callbacks given to page.evaluate run in the browser. Only this folder's program sees these
// names (the server's code must never use them); the DOM lib itself would retype Node's Blob.
declare const document: any;
declare const sessionStorage: any;
declare const MutationObserver: any;
