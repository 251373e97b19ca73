/**
 * `npm run openapi:export -- [file]`: writes the OpenAPI document (the one GET /openapi.json
 * serves) to `file`, or to stdout. Needs no database, Redis or configuration.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '../src/http/openapi/document.ts';

const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
const file = process.argv[2];
if (file && file !== '-') {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
} else {
  process.stdout.write(text);
}
