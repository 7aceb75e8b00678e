import type pg from 'pg';
import type { IntervalMinutes } from '../emulator/index.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Automatic mode of one tenant, as stored in `ami_auto_config`. */
export interface AutoConfig {
  tenantId: string;
  meterCount: number;
  feederCount: number;
  batchSize: number;
  intervalMinutes: IntervalMinutes;
  catchUpIntervals: number;
}

export interface AutoState {
  enabled: boolean;
  config: AutoConfig;
  startedAt: Date | null;
  stoppedAt: Date | null;
}

const COLUMNS = `tenant_id as "tenantId", meter_count as "meterCount", feeder_count as "feederCount",
  batch_size as "batchSize", interval_minutes as "intervalMinutes", catch_up_intervals as "catchUpIntervals",
  enabled, started_at as "startedAt", stopped_at as "stoppedAt"`;

type Row = AutoConfig & { enabled: boolean; startedAt: Date | null; stoppedAt: Date | null };

function toState({ enabled, startedAt, stoppedAt, ...config }: Row): AutoState {
  return { enabled, config, startedAt, stoppedAt };
}

export async function getAutoState(db: Queryable, tenantId: string): Promise<AutoState | undefined> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from ami_auto_config where tenant_id = $1`, [tenantId]);
  return rows[0] && toState(rows[0]);
}

/** Every tenant in automatic mode. */
export async function enabledTenants(db: Queryable): Promise<AutoConfig[]> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from ami_auto_config where enabled order by tenant_id`);
  return rows.map((row) => toState(row).config);
}

/** Stores the configuration and enables it (a restart with new settings replaces the old ones). */
export async function enableAuto(client: pg.PoolClient, config: AutoConfig, now: Date): Promise<AutoState> {
  const { rows } = await client.query<Row>(
    `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals, started_at, updated_at)
     values ($1, true, $2, $3, $4, $5, $6, $7, $7)
     on conflict (tenant_id) do update
       set enabled = true, meter_count = excluded.meter_count, feeder_count = excluded.feeder_count,
           batch_size = excluded.batch_size, interval_minutes = excluded.interval_minutes,
           catch_up_intervals = excluded.catch_up_intervals, started_at = $7, updated_at = $7
     returning ${COLUMNS}`,
    [config.tenantId, config.meterCount, config.feederCount, config.batchSize, config.intervalMinutes, config.catchUpIntervals, now],
  );
  return toState(rows[0]!);
}

/**
 * Whether automatic mode is on for the tenant, with its row locked FOR SHARE
 * until the caller's transaction ends: disableAuto (FOR UPDATE) waits for
 * that transaction, and a caller arriving after a stop committed reads it as
 * off. False for a tenant that never had automatic mode.
 */
export async function autoEnabledForShare(client: pg.PoolClient, tenantId: string): Promise<boolean> {
  const { rows } = await client.query<{ enabled: boolean }>('select enabled from ami_auto_config where tenant_id = $1 for share', [tenantId]);
  return rows[0]?.enabled ?? false;
}

/** Disables it, inside the caller's transaction; undefined when the tenant never had automatic mode. */
export async function disableAuto(client: pg.PoolClient, tenantId: string, now: Date): Promise<{ state: AutoState; wasEnabled: boolean } | undefined> {
  const before = await client.query<{ enabled: boolean }>('select enabled from ami_auto_config where tenant_id = $1 for update', [tenantId]);
  if (!before.rows[0]) return undefined;
  // In SET, `enabled` is still the value before the update.
  const { rows } = await client.query<Row>(
    `update ami_auto_config
        set enabled = false, stopped_at = case when enabled then $2 else stopped_at end, updated_at = $2
      where tenant_id = $1
      returning ${COLUMNS}`,
    [tenantId, now],
  );
  return { state: toState(rows[0]!), wasEnabled: before.rows[0].enabled };
}
