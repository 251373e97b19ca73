import { defineConfig } from 'vite';

// The web page (README "Web page"): Preact, built by Vite into web/dist, served by the API at /.
export default defineConfig({
  root: import.meta.dirname,
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Everything as files of our own origin: no inline scripts, no data: URIs (see the CSP).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  // `npm run dev:web`: the page with hot reload, the API of `npm start` behind it.
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
