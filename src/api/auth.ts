import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors.ts';

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Guards the mutating endpoints. With AMI_API_TOKEN set: `Authorization:
 * Bearer <token>`, compared in constant time. Without it (the server warns
 * at start), the caller must be this machine, as seen three ways: the
 * connection comes from loopback, the Host it asked for is a loopback name
 * (a DNS-rebinding page on this machine asks for its own name, evil.example,
 * resolved to 127.0.0.1), and a browser's Origin, if any, is loopback or an
 * allowed CORS origin.
 */
export function requireOperator(apiToken: string | undefined, corsOrigins: readonly string[]): RequestHandler {
  const expected = apiToken === undefined ? undefined : digest(apiToken);
  const allowedOrigins = new Set(corsOrigins);
  return (req, _res, next) => {
    if (expected === undefined) {
      const refusal = loopbackRefusal(req, allowedOrigins);
      return next(refusal ? new AppError('FORBIDDEN', `${refusal}; mutating endpoints accept only this machine while AMI_API_TOKEN is not set`) : undefined);
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      return next(new AppError('UNAUTHORIZED', match ? 'invalid bearer token' : 'missing bearer token: send Authorization: Bearer <AMI_API_TOKEN>'));
    }
    next();
  };
}

/** Why a no-token request is not from this machine, or undefined when it is. */
function loopbackRefusal(req: Request, allowedOrigins: Set<string>): string | undefined {
  if (!LOOPBACK_ADDRESSES.has(req.socket.remoteAddress ?? '')) return 'the connection is not from loopback';
  const host = hostname(req.get('host'));
  if (host === undefined || !LOOPBACK_HOSTNAMES.has(host)) return `the Host header (${req.get('host') ?? 'none'}) is not a loopback name`;
  const origin = req.get('origin');
  if (origin !== undefined && !allowedOrigins.has(origin)) {
    const originHost = (() => {
      try {
        return new URL(origin).hostname;
      } catch {
        return undefined;
      }
    })();
    // WHATWG URL keeps an IPv6 host in brackets: [::1].
    if (originHost === undefined || !LOOPBACK_HOSTNAMES.has(originHost)) {
      return `the page's Origin (${origin}) is neither this machine nor in AMI_CORS_ORIGINS`;
    }
  }
  return undefined;
}

/** The host name of a Host header, lower-cased, port removed ([::1] kept in brackets). */
function hostname(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(header.trim());
  return match?.[1]?.toLowerCase();
}

// Hashing first makes the comparison constant-time whatever the lengths.
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
