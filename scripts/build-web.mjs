// Builds the web page (web/ -> web/dist) as part of `npm install` / `npm ci`, so that a clean
// clone's `npm install && npm start` serves it. Skipped, with a note, where it cannot run: an
// install without dev dependencies, or a Docker layer that has not copied web/ yet.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = `${root}web`;
if (!existsSync(`${web}/index.html`)) {
  console.log('mailsift: web/ is not here yet; the page is built later (npm run build:web).');
  process.exit(0);
}
let vite;
try {
  vite = await import('vite');
} catch {
  console.log('mailsift: vite is not installed (no dev dependencies); the web page is not built.');
  process.exit(0);
}
await vite.build({ configFile: `${web}/vite.config.ts`, logLevel: 'warn' });
console.log('mailsift: web page built into web/dist');
