/**
 * Errors the domain raises on purpose, each with a code the API maps to an
 * HTTP status in one place (src/api/errors.ts). `details` travel to the
 * caller as extra fields of the error object.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BACKPRESSURE'
  | 'BUSY'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export interface FieldError {
  field: string;
  message: string;
}

/** A VALIDATION error naming each failing field. */
export function fieldErrors(fields: FieldError[]): AppError {
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new AppError('VALIDATION', `invalid request: ${summary}`, { fields });
}
