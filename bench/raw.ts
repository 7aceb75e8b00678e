import type { Pool } from '../src/db/pool.ts';
import { fleetProfiles, generateBatch, tenantModel } from '../src/emulator/index.ts';
import { registerFleet } from './history.ts';

/**
 * Writes one interval of `meterCount` generated reads with the same statement shape as the ingest (every column, the
 * rollup's triggers), no queue: the ceiling a tick is measured against. `connections` connections take the
 * `batchSize`-row statements in turn; `setup` runs once on each first (bench/floor.ts turns the triggers off with it).
 * Returns the milliseconds from the first statement to the last one's end (the reads are generated before).
 */
export async function rawInsert(
  pool: Pool,
  tenantId: string,
  readAt: Date,
  meterCount: number,
  batchSize: number,
  connections: number,
  setup?: string,
): Promise<number> {
  const profiles = fleetProfiles(tenantModel(tenantId), 1, meterCount, 25);
  const reads = generateBatch(tenantModel(tenantId), profiles, readAt, []);
  const batches: (typeof reads)[] = [];
  for (let i = 0; i < reads.length; i += batchSize) batches.push(reads.slice(i, i + batchSize));
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  try {
    if (setup) await Promise.all(clients.map((client) => client.query(setup)));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await client.query(
            `insert into meter_reads_electric (tenant_id, read_at, received_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery)
             select $1, $2, now(), t.*, 0 from unnest($3::int[], $4::int[], $5::real[], $6::real[], $7::real[], $8::real[], $9::smallint[]) as t
             on conflict do nothing`,
            [
              tenantId,
              readAt,
              batch.map((r) => r.meterId),
              batch.map((r) => r.feederId),
              batch.map((r) => r.kwh),
              batch.map((r) => r.voltage),
              batch.map((r) => r.baselineKwh),
              batch.map((r) => r.kwhReceived),
              batch.map((r) => r.status),
            ],
          );
        }
      }),
    );
    return performance.now() - started;
  } finally {
    // A session setting must not follow a connection back into the pool.
    for (const client of clients) client.release(setup ? true : undefined);
  }
}

/** Registers a raw path's fleet and writes one interval untimed: the timed runs then move each meter's newest read, as a tick does. */
export async function rawFleet(pool: Pool, tenantId: string, warmUp: Date, meterCount: number): Promise<void> {
  await registerFleet(pool, { tenantId, meterCount, feederCount: 25 });
  await rawInsert(pool, tenantId, warmUp, meterCount, 5000, 8);
}
