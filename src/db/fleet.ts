import type pg from 'pg';
import {
  type CollectionProfile,
  DEFAULT_SOLAR_SHARE,
  DEFAULT_TIME_ZONE,
  fleetProfiles,
  type MeterProfile,
  type TenantModel,
  tenantModel,
} from '../emulator/index.ts';
import { AppError, type FieldError } from '../errors.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface Fleet {
  tenantId: string;
  meterCount: number;
  feederCount: number;
  /** Interval length: fixed once registered (15 for a new fleet when not given). */
  intervalMinutes?: number | undefined;
  /** IANA time zone, canonical: fixed once registered (America/Chicago for a new fleet when not given). */
  timeZone?: string | undefined;
  /** Share of homes with rooftop solar: fixed once registered (0.05 for a new fleet when not given). */
  solarShare?: number | undefined;
  /** How its reads reach the head-end: fixed once registered (ideal for a new fleet when not given). */
  collection?: CollectionProfile | undefined;
}

/** When a registration happens, by the service's clock. */
interface At {
  now: Date;
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

interface FleetRow {
  meter_count: number;
  feeder_count: number;
  interval_minutes: number;
  time_zone: string;
  solar_share: number;
  collection: CollectionProfile;
  registered: number;
}

/** The fields a registered fleet keeps for life, each a CONFLICT when asked differently. */
function fixedFieldConflicts(current: FleetRow, fleet: Fleet): FieldError[] {
  const conflicts: FieldError[] = [];
  if (current.feeder_count !== fleet.feederCount) {
    conflicts.push({ field: 'feederCount', message: `must be ${current.feeder_count} for this tenant: meters keep their feeder` });
  }
  if (fleet.intervalMinutes !== undefined && current.interval_minutes !== fleet.intervalMinutes) {
    conflicts.push({ field: 'intervalMinutes', message: `must be ${current.interval_minutes} for this tenant: its intervals would not add up otherwise` });
  }
  if (fleet.timeZone !== undefined && current.time_zone !== fleet.timeZone) {
    conflicts.push({ field: 'timeZone', message: `must be ${current.time_zone} for this tenant: its fleet was registered on that clock` });
  }
  if (fleet.solarShare !== undefined && Math.abs(current.solar_share - fleet.solarShare) > 1e-6) {
    conflicts.push({ field: 'solarShare', message: `must be ${current.solar_share} for this tenant: its homes were registered with it` });
  }
  if (fleet.collection !== undefined && current.collection !== fleet.collection) {
    conflicts.push({ field: 'collection', message: `must be ${current.collection} for this tenant: its network was registered so` });
  }
  return conflicts;
}

/**
 * Makes the registry match (tenant, meterCount, feederCount): registers the
 * fleet on first use (with its interval length, time zone and solar share),
 * adds meters when it grows, retires the ones above meterCount when it
 * shrinks (their history stays). Meters keep their feeder and profile for
 * life, so a different feederCount, interval length, time zone or solar share
 * for a registered tenant is a CONFLICT. Runs inside the caller's transaction
 * (so a refused publish registers nothing); idempotent, and concurrent callers
 * queue on a per-tenant lock.
 */
export async function ensureFleet(client: pg.PoolClient, fleet: Fleet & At): Promise<{ registered: number }> {
  await lockFleet(client, fleet.tenantId);
  const { rows } = await client.query<FleetRow>(
    `select f.meter_count, f.feeder_count, f.interval_minutes, f.time_zone, f.solar_share, f.collection,
            (select coalesce(max(meter_id), 0) from ami_meters m where m.tenant_id = f.tenant_id)::int as registered
       from ami_fleets f where f.tenant_id = $1`,
    [fleet.tenantId],
  );
  const current = rows[0];
  let registered = current?.registered ?? 0;
  if (current) {
    const conflicts = fixedFieldConflicts(current, fleet);
    if (conflicts.length > 0) {
      throw new AppError('CONFLICT', `tenant ${fleet.tenantId} is registered otherwise: ${conflicts.map((c) => `${c.field} ${c.message}`).join('; ')}`, {
        fields: conflicts,
      });
    }
  } else {
    await client.query(
      `insert into ami_fleets (tenant_id, meter_count, feeder_count, interval_minutes, time_zone, solar_share, collection, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $8, $7, $7)`,
      [
        fleet.tenantId,
        fleet.meterCount,
        fleet.feederCount,
        fleet.intervalMinutes ?? 15,
        fleet.timeZone ?? DEFAULT_TIME_ZONE,
        fleet.solarShare ?? DEFAULT_SOLAR_SHARE,
        fleet.now,
        fleet.collection ?? 'ideal',
      ],
    );
    await client.query('insert into ami_feeders (tenant_id, feeder_id) select $1, g from generate_series(1, $2::int) g', [fleet.tenantId, fleet.feederCount]);
  }
  if (!current || current.meter_count !== fleet.meterCount) {
    const model = tenantModel(fleet.tenantId, {
      timeZone: current?.time_zone ?? fleet.timeZone ?? DEFAULT_TIME_ZONE,
      solarShare: current?.solar_share ?? fleet.solarShare ?? DEFAULT_SOLAR_SHARE,
    });
    for (let from = registered + 1; from <= fleet.meterCount; from += REGISTER_CHUNK) {
      const to = Math.min(fleet.meterCount, from + REGISTER_CHUNK - 1);
      await insertMeters(client, fleet.tenantId, fleetProfiles(model, from, to, fleet.feederCount));
    }
    registered = Math.max(registered, fleet.meterCount);
    await client.query(`update ami_meters set active = (meter_id <= $2) where tenant_id = $1 and active <> (meter_id <= $2)`, [
      fleet.tenantId,
      fleet.meterCount,
    ]);
    await client.query('update ami_fleets set meter_count = $2, updated_at = $3 where tenant_id = $1', [fleet.tenantId, fleet.meterCount, fleet.now]);
  }
  return { registered };
}

/** What a registered fleet is: size, interval length, clock and solar share; undefined for a tenant never published. */
export async function registeredFleet(db: Queryable, tenantId: string): Promise<Required<Fleet> | undefined> {
  const { rows } = await db.query<Required<Fleet>>(
    `select tenant_id as "tenantId", meter_count as "meterCount", feeder_count as "feederCount", interval_minutes as "intervalMinutes",
            time_zone as "timeZone", solar_share as "solarShare", collection
       from ami_fleets where tenant_id = $1`,
    [tenantId],
  );
  return rows[0];
}

/** What generation and collection need of a tenant: the load model's view of it, its collection profile and interval length. */
export interface TenantSettings {
  model: TenantModel;
  collection: CollectionProfile;
  intervalMinutes: number;
}

const settings = new Map<string, TenantSettings>();

/**
 * A registered tenant's settings (time zone, solar share, collection). They
 * are fixed once registered, so each process keeps them once read. A tenant
 * without a fleet gets the defaults (and is not kept).
 */
export async function tenantSettings(db: Queryable, tenantId: string): Promise<TenantSettings> {
  const known = settings.get(tenantId);
  if (known) return known;
  const fleet = await registeredFleet(db, tenantId);
  const found: TenantSettings = {
    model: tenantModel(tenantId, { timeZone: fleet?.timeZone, solarShare: fleet?.solarShare }),
    collection: fleet?.collection ?? 'ideal',
    intervalMinutes: fleet?.intervalMinutes ?? 15,
  };
  if (fleet && settings.size < 10_000) settings.set(tenantId, found);
  return found;
}

async function insertMeters(client: pg.PoolClient, tenantId: string, profiles: MeterProfile[]): Promise<void> {
  await client.query(
    `with registered as (
       insert into ami_meters (tenant_id, meter_id, feeder_id, service_class, scale, archetype, heating, has_ev, pv_kw, position)
       select $1, * from unnest($2::int[], $3::int[], $4::text[], $5::real[], $6::text[], $7::text[], $8::boolean[], $9::real[], $10::real[])
       on conflict do nothing
       returning meter_id, feeder_id
     )
     insert into ami_meter_last_reads (tenant_id, meter_id, feeder_id)
     select $1, meter_id, feeder_id from registered`,
    [
      tenantId,
      profiles.map((p) => p.meterId),
      profiles.map((p) => p.feederId),
      profiles.map((p) => p.serviceClass),
      profiles.map((p) => p.scale),
      profiles.map((p) => p.archetype),
      profiles.map((p) => p.heating),
      profiles.map((p) => p.hasEv),
      profiles.map((p) => p.pvKw),
      profiles.map((p) => p.position),
    ],
  );
}

/**
 * Registered meters in [firstMeterId, lastMeterId], active or not, in id
 * order, with their whole profile: what a batch writes. Its slice comes from
 * its own tick's meterCount, so a fleet shrunk by a later publish (which only
 * deactivates meters, never deletes them) does not take meters from an
 * interval in flight.
 */
export async function sliceMeters(db: Queryable, tenantId: string, firstMeterId: number, lastMeterId: number): Promise<MeterProfile[]> {
  const { rows } = await db.query<MeterProfile>(
    `select meter_id as "meterId", feeder_id as "feederId", service_class as "serviceClass", scale,
            archetype, heating, has_ev as "hasEv", pv_kw as "pvKw", position
       from ami_meters
      where tenant_id = $1 and meter_id between $2 and $3
      order by meter_id`,
    [tenantId, firstMeterId, lastMeterId],
  );
  return rows;
}

/** Registered meters of a tenant by id (active or not), in id order, with their whole profile: what a delivery writes. */
export async function metersById(db: Queryable, tenantId: string, meterIds: number[]): Promise<MeterProfile[]> {
  const { rows } = await db.query<MeterProfile>(
    `select meter_id as "meterId", feeder_id as "feederId", service_class as "serviceClass", scale,
            archetype, heating, has_ev as "hasEv", pv_kw as "pvKw", position
       from ami_meters
      where tenant_id = $1 and meter_id = any($2::int[])
      order by meter_id`,
    [tenantId, meterIds],
  );
  return rows;
}
