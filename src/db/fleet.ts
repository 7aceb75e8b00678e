import type pg from 'pg';
import { fleetProfiles, type MeterProfile } from '../emulator/index.ts';
import { AppError } from '../errors.ts';

export interface Fleet {
  tenantId: string;
  meterCount: number;
  feederCount: number;
}

/** Any fixed number: namespaces the per-tenant registration lock. */
const FLEET_LOCK_SPACE = 742_615_010;
/** Rows per INSERT when registering meters (keeps parameter arrays modest). */
const REGISTER_CHUNK = 50_000;

/**
 * The tenant's registration lock, held until the caller's transaction ends
 * (re-entrant: ensureFleet takes it again at no cost). It comes first in
 * every transaction that takes it with other locks.
 */
export async function lockFleet(client: pg.PoolClient, tenantId: string): Promise<void> {
  await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [FLEET_LOCK_SPACE, tenantId]);
}

/**
 * Makes the registry match (tenant, meterCount, feederCount): registers the
 * fleet on first use, adds meters when it grows, retires the ones above
 * meterCount when it shrinks (their history stays). Meters keep their feeder
 * for life, so a different feederCount for a registered tenant is a CONFLICT.
 * Runs inside the caller's transaction (so a refused publish registers
 * nothing); idempotent, and concurrent callers queue on a per-tenant lock.
 */
export async function ensureFleet(client: pg.PoolClient, fleet: Fleet): Promise<{ registered: number }> {
  await lockFleet(client, fleet.tenantId);
  const { rows } = await client.query<{ meter_count: number; feeder_count: number; registered: number }>(
    `select f.meter_count, f.feeder_count, (select coalesce(max(meter_id), 0) from ami_meters m where m.tenant_id = f.tenant_id)::int as registered
       from ami_fleets f where f.tenant_id = $1`,
    [fleet.tenantId],
  );
  const current = rows[0];
  let registered = current?.registered ?? 0;
  if (current && current.feeder_count !== fleet.feederCount) {
    throw new AppError('CONFLICT', `tenant ${fleet.tenantId} is registered with feederCount ${current.feeder_count}; meters keep their feeder, so feederCount cannot change`, {
      fields: [{ field: 'feederCount', message: `must be ${current.feeder_count} for this tenant` }],
    });
  }
  if (!current) {
    await client.query('insert into ami_fleets (tenant_id, meter_count, feeder_count) values ($1, $2, $3)', [fleet.tenantId, fleet.meterCount, fleet.feederCount]);
    await client.query('insert into ami_feeders (tenant_id, feeder_id) select $1, g from generate_series(1, $2::int) g', [fleet.tenantId, fleet.feederCount]);
  }
  if (!current || current.meter_count !== fleet.meterCount) {
    for (let from = registered + 1; from <= fleet.meterCount; from += REGISTER_CHUNK) {
      const to = Math.min(fleet.meterCount, from + REGISTER_CHUNK - 1);
      await insertMeters(client, fleet.tenantId, fleetProfiles(fleet.tenantId, from, to, fleet.feederCount));
    }
    registered = Math.max(registered, fleet.meterCount);
    await client.query(
      `update ami_meters set active = (meter_id <= $2) where tenant_id = $1 and active <> (meter_id <= $2)`,
      [fleet.tenantId, fleet.meterCount],
    );
    await client.query('update ami_fleets set meter_count = $2, updated_at = now() where tenant_id = $1', [fleet.tenantId, fleet.meterCount]);
  }
  return { registered };
}

/** The registered size of a tenant's fleet; undefined for a tenant never published. */
export async function registeredFleet(db: Pick<pg.Pool, 'query'>, tenantId: string): Promise<Fleet | undefined> {
  const { rows } = await db.query<Fleet>(
    'select tenant_id as "tenantId", meter_count as "meterCount", feeder_count as "feederCount" from ami_fleets where tenant_id = $1',
    [tenantId],
  );
  return rows[0];
}

async function insertMeters(client: pg.PoolClient, tenantId: string, profiles: MeterProfile[]): Promise<void> {
  await client.query(
    `with registered as (
       insert into ami_meters (tenant_id, meter_id, feeder_id, service_class, scale)
       select $1, * from unnest($2::int[], $3::int[], $4::text[], $5::real[])
       on conflict do nothing
       returning meter_id
     )
     insert into ami_meter_last_reads (tenant_id, meter_id)
     select $1, meter_id from registered`,
    [
      tenantId,
      profiles.map((p) => p.meterId),
      profiles.map((p) => p.feederId),
      profiles.map((p) => p.serviceClass),
      profiles.map((p) => p.scale),
    ],
  );
}

/**
 * Registered meters in [firstMeterId, lastMeterId], active or not, in id
 * order: what a batch writes. Its slice comes from its own tick's
 * meterCount, so a fleet shrunk by a later publish (which only deactivates
 * meters, never deletes them) does not take meters from an interval in flight.
 */
export async function sliceMeters(db: Pick<pg.Pool, 'query'>, tenantId: string, firstMeterId: number, lastMeterId: number): Promise<MeterProfile[]> {
  const { rows } = await db.query<MeterProfile>(
    `select meter_id as "meterId", feeder_id as "feederId", service_class as "serviceClass", scale
       from ami_meters
      where tenant_id = $1 and meter_id between $2 and $3
      order by meter_id`,
    [tenantId, firstMeterId, lastMeterId],
  );
  return rows;
}
