import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import { notFound } from '../../domain/errors.ts';
import { buildOpenApiDocument } from '../openapi/document.ts';

/**
 * GET /openapi.json (no key needed) and GET /docs, the document rendered by Swagger UI. Every
 * script, style and image comes from the swagger-ui-dist package on this origin: no CDN, and a
 * Content-Security-Policy that allows 'self' only (plus data: images, which the style sheet
 * inlines), so the page works without internet and loads nothing from elsewhere.
 */
const distDir = path.dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);
const ASSETS = new Set([
  'swagger-ui-bundle.js',
  'swagger-ui.css',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>mailsift API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>
`;

// No validatorUrl: Swagger UI would otherwise send the document to an outside validator.
const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

export function openApiRouter(): Router {
  const router = Router();
  const body = JSON.stringify(buildOpenApiDocument());
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  router.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('html').send(page);
  });
  router.get('/docs/assets/:file', (req, res, next) => {
    const file = req.params.file;
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    if (file === 'init.js') return void res.type('text/javascript').send(init);
    if (!ASSETS.has(file)) return next(notFound('Asset'));
    res.sendFile(path.join(distDir, file), { maxAge: '1h' });
  });
  return router;
}
