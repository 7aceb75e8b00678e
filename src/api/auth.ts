import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Guards the mutating endpoints. With AMI_API_TOKEN set: `Authorization:
 * Bearer <token>`, compared in constant time. Without it: loopback callers
 * only (the server warns at start), so a fresh `npm start` is usable from
 * the same machine and from nowhere else.
 */
export function requireOperator(apiToken: string | undefined): RequestHandler {
  const expected = apiToken === undefined ? undefined : digest(apiToken);
  return (req, _res, next) => {
    if (expected === undefined) {
      if (isLoopback(req)) return next();
      return next(new AppError('FORBIDDEN', 'mutating endpoints accept only loopback callers while AMI_API_TOKEN is not set'));
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      return next(new AppError('UNAUTHORIZED', match ? 'invalid bearer token' : 'missing bearer token: send Authorization: Bearer <AMI_API_TOKEN>'));
    }
    next();
  };
}

function isLoopback(req: Request): boolean {
  return LOOPBACK.has(req.socket.remoteAddress ?? '');
}

// Hashing first makes the comparison constant-time whatever the lengths.
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
