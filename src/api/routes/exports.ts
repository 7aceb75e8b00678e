import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Response, Router } from 'express';
import type pg from 'pg';
import type { Clock } from '../../clock.ts';
import { type ExportFleet, exportFleet, exportMeters, feederExists, readsCsvStream, usagePointReads } from '../../db/exports.ts';
import type { ReadGate } from '../../db/readGate.ts';
import { greenButtonQuerySchema, readsCsvQuerySchema } from '../../domain/exports.ts';
import { AppError } from '../../errors.ts';
import { greenButtonFeed } from '../../export/greenbutton.ts';
import type { Logger } from '../../logger.ts';
import { abandoned } from '../abandon.ts';
import { allowOnly } from '../errors.ts';
import { parseQuery } from '../validate.ts';

export interface ExportDeps {
  /** The heavy reads' gate: an export holds one of its turns while it streams. */
  gate: ReadGate;
  /** Turns for exports alone (AMI_EXPORT_CONCURRENCY, nothing queued): a long export cannot take every read turn. */
  exportTurns: ReadGate;
  /** Statement timeout of an export's transaction (AMI_EXPORT_TIMEOUT_MS), in place of the read pool's. */
  statementTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Green Button (ESPI Atom) and CSV exports of interval reads (SPEC section
 * 15), open like the other reads. Each validates its query, checks that the
 * tenant, meter or feeder exists (404 otherwise) before anything is sent, then
 * streams from PostgreSQL to the client with backpressure: a slow client
 * slows the read, and a client that leaves cancels it.
 */
export function exportsRouter(deps: ExportDeps): Router {
  const router = Router();

  router.get('/api/ami/greenbutton', async (req, res) => {
    const query = parseQuery(greenButtonQuerySchema, req);
    await streamExport(deps, res, async (client) => {
      const fleet = await fleetOf(client, query.tenantId);
      const meters = await exportMeters(client, query.tenantId, query);
      if (query.meterId !== undefined && meters.length === 0) throw new AppError('NOT_FOUND', `tenant ${query.tenantId} has no meter ${query.meterId}`);
      if (query.feederId !== undefined) await requireFeeder(client, query.tenantId, query.feederId);
      const feed = greenButtonFeed(
        {
          tenantId: query.tenantId,
          timeZone: fleet.timeZone,
          intervalMinutes: fleet.intervalMinutes,
          from: query.from,
          to: query.to,
          generatedAt: new Date(Math.floor(deps.clock().getTime() / 1000) * 1000),
          selfHref: req.originalUrl,
        },
        usagePointReads(client, query.tenantId, meters, { from: query.from, to: query.to, intervalMinutes: fleet.intervalMinutes }),
      );
      const subject = query.meterId !== undefined ? `meter-${query.meterId}` : `feeder-${query.feederId}`;
      attachment(res, 'application/atom+xml; charset=utf-8', `greenbutton-${query.tenantId}-${subject}-${stamp(query.from)}-${stamp(query.to)}.xml`);
      await pipeline(Readable.from(feed), res);
    });
  });

  router.get('/api/ami/reads.csv', async (req, res) => {
    const query = parseQuery(readsCsvQuerySchema, req);
    await streamExport(deps, res, async (client) => {
      const fleet = await fleetOf(client, query.tenantId);
      if (query.feederId !== undefined) await requireFeeder(client, query.tenantId, query.feederId);
      if (query.meterId !== undefined) {
        const [meter] = await exportMeters(client, query.tenantId, { meterId: query.meterId });
        if (!meter) throw new AppError('NOT_FOUND', `tenant ${query.tenantId} has no meter ${query.meterId}`);
        if (query.feederId !== undefined && meter.feederId !== query.feederId) {
          throw new AppError('NOT_FOUND', `meter ${query.meterId} of tenant ${query.tenantId} is on feeder ${meter.feederId}, not feeder ${query.feederId}`);
        }
      }
      const subject = [query.feederId !== undefined ? `feeder-${query.feederId}` : '', query.meterId !== undefined ? `meter-${query.meterId}` : '']
        .filter(Boolean)
        .join('-');
      attachment(res, 'text/csv; charset=utf-8', `reads-${query.tenantId}${subject ? `-${subject}` : ''}-${stamp(query.from)}-${stamp(query.to)}.csv`);
      await pipeline(readsCsvStream(client, { ...query, intervalMinutes: fleet.intervalMinutes }), res);
    });
  });

  allowOnly(router, '/api/ami/greenbutton', ['GET']);
  allowOnly(router, '/api/ami/reads.csv', ['GET']);
  return router;
}

async function fleetOf(db: pg.PoolClient, tenantId: string): Promise<ExportFleet> {
  const fleet = await exportFleet(db, tenantId);
  if (!fleet) throw new AppError('NOT_FOUND', `no tenant ${tenantId}: it has no fleet (publish an interval or start auto mode first)`);
  return fleet;
}

async function requireFeeder(db: pg.PoolClient, tenantId: string, feederId: number): Promise<void> {
  if (!(await feederExists(db, tenantId, feederId))) throw new AppError('NOT_FOUND', `tenant ${tenantId} has no feeder ${feederId}`);
}

/** 20261128T0600Z: an instant in a file name (to the minute, UTC). */
function stamp(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace(/[-:]/g, '')}Z`;
}

function attachment(res: Response, contentType: string, fileName: string): void {
  res.set({
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
}

/**
 * Runs one export: an export turn (or 503 BUSY at once), a read turn and a
 * connection of the read pool, a read-only transaction with the export's
 * statement timeout. Refusals found before the first byte (404, BUSY) are
 * answered as JSON errors; a failure after it (the client left, the database
 * went away) cuts the response short, so a truncated file never looks whole,
 * and drops the connection rather than return it mid-COPY or mid-cursor.
 */
async function streamExport(deps: ExportDeps, res: Response, stream: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const releaseExportTurn = await deps.exportTurns.turn();
  const signal = abandoned(res);
  try {
    await deps.gate.withClient(signal, async (client) => {
      await client.query('begin transaction read only');
      try {
        await client.query(`set local statement_timeout = ${Math.trunc(deps.statementTimeoutMs)}`);
        await stream(client);
        await client.query('commit');
      } catch (error) {
        if (res.headersSent) void client.end().catch(() => undefined);
        else await client.query('rollback').catch(() => client.end().catch(() => undefined));
        throw error;
      }
    });
  } catch (error) {
    if (!res.headersSent) throw error;
    res.destroy();
    if (!signal.aborted) deps.logger.error({ err: error, path: res.req.path }, 'export cut short');
  } finally {
    releaseExportTurn();
  }
}
