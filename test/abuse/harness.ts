import { expect } from 'vitest';
import type { Pool } from '../../src/db/pool.ts';

export interface Outcome {
  tried: number;
  fiveHundreds: number;
  failures: string[];
}

export function newOutcome(): Outcome {
  return { tried: 0, fiveHundreds: 0, failures: [] };
}

export interface BadRequest {
  method: string;
  path: string;
  body?: unknown;
  /** Sent as is (malformed JSON and friends). */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** The status expected; any 4xx when absent. */
  expect?: number;
}

/**
 * Sends one bad request and checks the answer: never a 5xx, always a 4xx
 * in the error shape `{ ok: false, error: { code, message } }`.
 */
export async function send(baseUrl: string, request: BadRequest, outcome: Outcome): Promise<void> {
  outcome.tried++;
  const headers: Record<string, string> = { ...request.headers };
  let body: string | undefined;
  if (request.rawBody !== undefined) {
    body = request.rawBody;
    headers['content-type'] = request.contentType ?? 'application/json';
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const label = `${request.method} ${request.path.slice(0, 120)} ${body ? body.slice(0, 120) : ''}`;
  let status = 0;
  let json: unknown;
  try {
    const res = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers, body });
    status = res.status;
    const text = await res.text();
    json = request.method === 'HEAD' ? {} : JSON.parse(text);
  } catch (error) {
    outcome.failures.push(`${label} -> no JSON answer (${String(error).slice(0, 80)})`);
    return;
  }
  if (status >= 500) outcome.fiveHundreds++;
  const shaped =
    request.method === 'HEAD' ||
    (typeof json === 'object' &&
      json !== null &&
      (json as { ok?: unknown }).ok === false &&
      typeof (json as { error?: { code?: unknown } }).error?.code === 'string' &&
      typeof (json as { error?: { message?: unknown } }).error?.message === 'string');
  const statusOk = request.expect !== undefined ? status === request.expect : status >= 400 && status < 500;
  if (!statusOk || !shaped) outcome.failures.push(`${label} -> ${status} ${JSON.stringify(json).slice(0, 160)}`);
}

/** Row counts and a checksum of every table a request could change. */
export async function snapshot(pool: Pool): Promise<Record<string, string>> {
  const tables = [
    'ami_fleets',
    'ami_feeders',
    'ami_meters',
    'ami_meter_last_reads',
    'meter_reads_electric',
    'ami_events',
    'ami_ticks',
    'ami_tick_batches',
    'ami_auto_config',
    'ami_scheduler_runs',
    'graphile_worker._private_jobs',
  ];
  const result: Record<string, string> = {};
  for (const table of tables) {
    const { rows } = await pool.query(`select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') as sum from ${table} t`);
    result[table] = rows[0].sum;
  }
  return result;
}

export function expectClean(outcome: Outcome): void {
  expect(outcome.fiveHundreds).toBe(0);
  expect(outcome.failures.slice(0, 20)).toEqual([]);
}
