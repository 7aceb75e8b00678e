/**
 * The heartbeat of this process's worker pools, beating from its own thread
 * with its own connection: a busy or stalled event loop in the main thread
 * (a long synchronous computation, say) cannot make the process look dead,
 * so another process never releases the job locks of a live worker. Only a
 * process that is really gone (killed, frozen, cut off) stops beating.
 * Messages in: { ids } (the pool ids to beat for, beaten at once and acked
 * with { beat: seq }) and { stop } (forget the ids, close, exit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { beat, forget } from '../db/workers.ts';

interface Settings {
  connectionString: string;
  everyMs: number;
  host: { hostname: string; pid: number };
}

const settings = workerData as Settings;
let ids: string[] = [];
let client: pg.Client | undefined;
let stopping = false;

async function connection(): Promise<pg.Client> {
  if (client) return client;
  const fresh = new pg.Client({ connectionString: settings.connectionString, application_name: 'ami-heartbeat' });
  fresh.on('error', () => {
    if (client === fresh) client = undefined;
  });
  await fresh.connect();
  client = fresh;
  return fresh;
}

async function beatNow(): Promise<void> {
  if (ids.length === 0 || stopping) return;
  try {
    await beat(await connection(), ids, settings.host);
  } catch (error) {
    client?.end().catch(() => undefined);
    client = undefined;
    parentPort?.postMessage({ failed: String((error as Error)?.message ?? error) });
  }
}

const timer = setInterval(() => void beatNow(), settings.everyMs);

parentPort?.on('message', async (message: { ids?: string[]; seq?: number; stop?: boolean }) => {
  if (message.ids) {
    ids = message.ids;
    await beatNow();
    parentPort?.postMessage({ beat: message.seq });
  }
  if (message.stop) {
    stopping = true;
    clearInterval(timer);
    if (ids.length > 0) await forget(await connection(), ids).catch(() => undefined);
    await client?.end().catch(() => undefined);
    parentPort?.postMessage({ stopped: true });
    parentPort?.close();
  }
});
