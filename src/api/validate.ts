import type { Request } from 'express';
import type { z } from 'zod';
import { fieldErrors } from '../errors.ts';
import { validationError } from './errors.ts';

/** The JSON body parsed by `schema`, or a VALIDATION error naming the fields. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  if (req.body === undefined) {
    throw fieldErrors([{ field: '(body)', message: 'a JSON object body is required (Content-Type: application/json)' }]);
  }
  const result = schema.safeParse(req.body);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

/** The query string parsed by `schema`; a repeated parameter is an error. */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const repeated = Object.entries(req.query).filter(([, value]) => typeof value !== 'string');
  if (repeated.length > 0) {
    throw fieldErrors(repeated.map(([field]) => ({ field, message: 'must be given once, as a plain value' })));
  }
  const result = schema.safeParse(req.query);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
