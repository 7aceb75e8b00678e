import express, { type Request, type RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, fieldErrors } from '../errors.ts';
import { validationError } from './errors.ts';

/**
 * JSON bodies, parsed per route after the auth check (an anonymous caller's
 * body is never parsed). Any JSON value is accepted here so that the schema,
 * not the parser, says what is wrong with `null` or `42`.
 */
const parseJson = express.json({ limit: '16kb', strict: false });

/**
 * A body of any other type is refused, not ignored: an ignored form body
 * would drop the fields it meant to send (such as a tenantId that narrows
 * what a call may change) and let a cross-site form post through.
 */
export const jsonBody: RequestHandler = (req, res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.is('application/json')) {
    return next(
      new AppError('UNSUPPORTED_MEDIA_TYPE', `send the body as JSON (Content-Type: application/json), not ${req.get('content-type') ?? 'an untyped body'}`),
    );
  }
  parseJson(req, res, next);
};

// Keys that name Object.prototype members are refused outright: a schema's
// "unknown key" check can mistake them for known ones.
const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

function prototypeKeyPaths(value: unknown, path: string[] = [], depth = 0): string[] {
  if (depth > 8 || value === null || typeof value !== 'object') return [];
  const found: string[] = [];
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) found.push([...path, key].join('.'));
    found.push(...prototypeKeyPaths((value as Record<string, unknown>)[key], [...path, key], depth + 1));
  }
  return found;
}

/** The JSON body parsed by `schema`, or a VALIDATION error naming the fields. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  if (req.body === undefined) {
    throw fieldErrors([{ field: '(body)', message: 'a JSON object body is required (Content-Type: application/json)' }]);
  }
  const forbidden = prototypeKeyPaths(req.body);
  if (forbidden.length > 0) throw fieldErrors(forbidden.map((field) => ({ field, message: 'unknown field' })));
  const result = schema.safeParse(req.body);
  if (!result.success) throw validationError(result.error, req.body);
  return result.data;
}

/** The query string parsed by `schema`; a repeated parameter is an error. */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const repeated = Object.entries(req.query).filter(([, value]) => typeof value !== 'string');
  if (repeated.length > 0) {
    throw fieldErrors(repeated.map(([field]) => ({ field, message: 'must be given once, as a plain value' })));
  }
  const result = schema.safeParse(req.query);
  if (!result.success) throw validationError(result.error, req.query);
  return result.data;
}
