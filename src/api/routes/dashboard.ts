import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type Response } from 'express';

/** The page's own files: index.html, app.js and the ES modules it imports from js/, style.css. No build step. */
export const PUBLIC_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'public');

/** uPlot's browser files, served from the installed package (no CDN: the page works offline). */
export const UPLOT_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/**
 * The built-in dashboard at `/` and uPlot under `/vendor/uplot/`. The page
 * talks to the API of the same origin only, which the Content-Security-Policy
 * states; everything else is refused (no inline script, no framing).
 */
export function dashboardRouter(): Router {
  const router = Router();
  // The page changes with each release of the service and its URLs carry no
  // version: revalidate every time (a 304 when unchanged, thanks to the ETag).
  router.use(
    express.static(PUBLIC_DIR, {
      index: 'index.html',
      redirect: false,
      setHeaders: (res: Response) => pageHeaders(res, 'no-cache'),
    }),
  );
  // Browsers that ask for /favicon.ico get the page's icon (an SVG) rather than a 404.
  router.get('/favicon.ico', (_req, res) => {
    pageHeaders(res, 'public, max-age=86400');
    res.type('image/svg+xml').sendFile(path.join(PUBLIC_DIR, 'favicon.svg'));
  });
  // uPlot changes only with package.json: a day is safe, and the ETag covers the rest.
  router.use(
    '/vendor/uplot',
    express.static(UPLOT_DIR, {
      index: false,
      redirect: false,
      setHeaders: (res: Response) => pageHeaders(res, 'public, max-age=86400'),
    }),
  );
  return router;
}

function pageHeaders(res: Response, cacheControl: string): void {
  res.set({
    'Cache-Control': cacheControl,
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}
