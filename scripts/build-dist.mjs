// `npm run build`, second step: puts beside the compiled tree (dist/src, dist/workers) what the
// code reads at run time through paths relative to itself, so dist/ runs as the source tree does:
// package.json (the OpenAPI version), the migrations' SQL and the built web page.
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// The compiled tree's folder: dist/, or the one given (tsc's --outDir of the same run).
const dist = path.resolve(root, process.argv[2] ?? 'dist');
for (const item of ['package.json', 'package-lock.json', 'prisma/migrations', 'web/dist']) {
  if (!existsSync(`${root}${item}`)) {
    console.error(`mailsift build: ${item} is missing (run npm install first)`);
    process.exit(1);
  }
  rmSync(`${dist}/${item}`, { recursive: true, force: true });
  cpSync(`${root}${item}`, `${dist}/${item}`, { recursive: true });
}
const rel = path.relative(root, dist);
console.log(
  `mailsift: built into ${rel}/ (node ${rel}/src/server.js, node ${rel}/workers/main.js)`,
);
