import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger.ts';

/**
 * Every error leaves the API as `{ ok: false, error: { code, message, ... } }`.
 * Domain code throws an ApiError (or a ZodError from validation); anything
 * else is an INTERNAL 500 whose detail goes to the log, never to the caller.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BACKPRESSURE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BACKPRESSURE: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export interface FieldError {
  field: string;
  message: string;
}

/** A 400 naming each failing field, from a zod error. */
export function validationError(error: z.ZodError, prefix?: string): ApiError {
  const fields: FieldError[] = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return keys.length > 0
      ? { field: keys.map((key) => [path, key].filter(Boolean).join('.')).join(', '), message: `unknown field${keys.length > 1 ? 's' : ''}` }
      : { field: path || '(body)', message: issue.message };
  });
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new ApiError('VALIDATION', `invalid request: ${summary}`, { fields });
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

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return validationError(error);
  const bodyError = error as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed') return new ApiError('VALIDATION', 'malformed JSON body', { fields: [{ field: '(body)', message: 'not valid JSON' }] });
  if (bodyError?.type === 'entity.too.large') return new ApiError('PAYLOAD_TOO_LARGE', 'request body too large');
  if (bodyError?.type === 'encoding.unsupported' || bodyError?.type === 'charset.unsupported') return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding');
  if (bodyError?.status === 400 && typeof bodyError.type === 'string') return new ApiError('VALIDATION', 'unreadable request body');
  if (isDatabaseUnavailable(error)) return new ApiError('UNAVAILABLE', 'database unavailable, try again shortly');
  return new ApiError('INTERNAL', 'internal error');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const apiError = toApiError(error);
    if (apiError.code === 'INTERNAL' || apiError.code === 'UNAVAILABLE') {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) return;
    res.status(apiError.status).json({ ok: false, error: { code: apiError.code, message: apiError.message, ...apiError.details } });
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ApiError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};
