import type { Request, RequestHandler } from 'express';
import { observeHttpRequest } from '../metrics.ts';

/** The label of a request that no route matched: static files, unknown paths, refusals before routing. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Counts and times every request by method, Express route pattern and status
 * (src/metrics.ts). The route is the pattern that matched
 * (`/api/ami/events/:id/end`), never the raw URL, so the label's values are
 * as many as the routes. A request whose client left before its answer
 * finished is counted with status `aborted`.
 */
export const httpMetrics: RequestHandler = (req, res, next) => {
  const started = process.hrtime.bigint();
  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    observeHttpRequest({ method: knownMethod(req.method), route: routeOf(req), status: res.writableFinished ? String(res.statusCode) : 'aborted', seconds });
  });
  next();
};

function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? path : UNMATCHED_ROUTE;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Any other method a client invents is one label value, not one each. */
function knownMethod(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}
