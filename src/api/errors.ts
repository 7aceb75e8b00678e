import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, fieldErrors, type ErrorCode, type FieldError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * Every error leaves the API as `{ ok: false, error: { code, message, ... } }`.
 * Domain code throws an AppError (or a ZodError from validation); anything
 * else is an INTERNAL 500 whose detail goes to the log, never to the caller.
 */
const STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BACKPRESSURE: 429,
  BUSY: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * A 400 naming each failing field, from a zod error. Given the input that
 * was parsed, a field that is absent from it is said to be "required"
 * rather than of the wrong type.
 */
export function validationError(error: z.ZodError, input?: unknown): AppError {
  const fields: FieldError[] = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = issue.path.map(String).join('.');
    if (keys.length > 0) {
      return { field: keys.map((key) => [path, key].filter(Boolean).join('.')).join(', '), message: `unknown field${keys.length > 1 ? 's' : ''}` };
    }
    const missing = issue.code === 'invalid_type' && issue.path.length > 0 && input !== undefined && valueAt(input, issue.path) === undefined;
    return { field: path || '(body)', message: missing ? 'required' : issue.message };
  });
  return fieldErrors(fields);
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

// Errors from PostgreSQL that mean "the database is not there right now".
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return validationError(error);
  const bodyError = error as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed')
    return new AppError('VALIDATION', 'malformed JSON body', { fields: [{ field: '(body)', message: 'not valid JSON' }] });
  if (bodyError?.status === 400 && typeof bodyError.type === 'string') return new AppError('VALIDATION', 'unreadable request body');
  // Any other client error raised by Express or its parsers (a body too large
  // or in an unsupported encoding or charset, a path parameter that is not
  // valid percent-encoding, a body that does not inflate): the caller's to
  // fix, never a 500.
  const status = (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body too large');
    if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding');
    const expose = (error as { expose?: unknown }).expose === true && error instanceof Error;
    return new AppError('VALIDATION', expose ? `bad request: ${error.message}` : 'bad request');
  }
  // The statement timeout of the read pool, or a cancel sent when the caller left.
  if ((error as { code?: unknown })?.code === '57014') return new AppError('BUSY', 'the read ran past its statement timeout; try again shortly');
  if (isDatabaseUnavailable(error)) return new AppError('UNAVAILABLE', 'database unavailable, try again shortly');
  return new AppError('INTERNAL', 'internal error');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL' || appError.code === 'UNAVAILABLE') {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) return;
    // Refusals say when to come back: the queue drains in seconds, a read's turn comes in one.
    if (appError.code === 'BACKPRESSURE') res.set('Retry-After', '5');
    if (appError.code === 'BUSY') res.set('Retry-After', '1');
    res.status(STATUS[appError.code]).json({ ok: false, error: { code: appError.code, message: appError.message, ...appError.details } });
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/**
 * Registers a 405 for every other method on `path`, after its real routes:
 * a wrong method is answered as such (with Allow), not as an unknown path.
 */
export function allowOnly(router: import('express').Router, path: string, methods: string[]): void {
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  router.all(path, (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    res.set('Allow', allow);
    next(new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use ${methods.join(' or ')}`));
  });
}
