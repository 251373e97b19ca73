import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';
import { DomainError } from '../../domain/errors.ts';

/** Where `npm install` (scripts/build-web.mjs) puts the built page. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * Only this origin, for everything: the page's script and style are files of ours (no inline
 * code), it talks to /v1 here, and nothing may frame it.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
};

/**
 * The web page for people who clean lists (README "Web page"): `/`, `/assets/*` and the icon,
 * nothing else, so every other path (/v1, /admin, /healthz…) keeps its own answer or the JSON 404.
 */
export function webRouter(dist = WEB_DIST): Router {
  const router = Router();
  const index = path.join(dist, 'index.html');
  router.get('/', pageHeaders, (_req, res, next) => {
    if (!existsSync(index)) {
      next(
        new DomainError(
          'NOT_FOUND',
          'The web page is not built: run `npm run build:web` (npm install does it).',
        ),
      );
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  router.get('/favicon.svg', pageHeaders, (_req, res, next) => {
    res.sendFile(path.join(dist, 'favicon.svg'), { maxAge: '1d' }, (err) => err && next());
  });
  // File names carry a content hash: they never change, so they may be cached for good.
  router.use(
    '/assets',
    pageHeaders,
    express.static(path.join(dist, 'assets'), {
      index: false,
      immutable: true,
      maxAge: '1y',
      fallthrough: true,
    }),
  );
  return router;
}
