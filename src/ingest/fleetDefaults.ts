import type { Caps } from '../config.ts';
import { getAutoState } from '../db/autoConfig.ts';
import { registeredFleet } from '../db/fleet.ts';
import type { Pool } from '../db/pool.ts';
import { CONTRACT_DEFAULTS } from '../domain/fleet.ts';

/** The contract's defaults of the fleet fields, within the caps. */
export function contractDefaults(caps: Caps) {
  return {
    meterCount: Math.min(CONTRACT_DEFAULTS.meterCount, caps.maxMeterCount),
    feederCount: CONTRACT_DEFAULTS.feederCount,
    batchSize: Math.min(CONTRACT_DEFAULTS.batchSize, caps.maxBatchSize),
    intervalMinutes: CONTRACT_DEFAULTS.intervalMinutes,
  };
}

export interface FleetFields {
  tenantId: string;
  meterCount?: number | undefined;
  feederCount?: number | undefined;
  batchSize?: number | undefined;
  intervalMinutes?: number | undefined;
}

export type ResolvedFleet<T extends FleetFields> = T & { meterCount: number; feederCount: number; batchSize: number; intervalMinutes: number };

/**
 * The fields a request leaves out, filled from the tenant itself when it
 * exists, so a bare `{"tenantId":...}` works on the tenant as it is rather
 * than resizing it: meterCount, feederCount and intervalMinutes from its
 * registered fleet (`ami_fleets`), batchSize from its automatic mode
 * (`ami_auto_config`); the contract's defaults otherwise. A time zone or
 * solar share left out stays undefined: a new fleet takes the defaults, a
 * registered one keeps its own. `keepMeterCount:
 * false` (auto/start, whose contract default is 25,000) takes only the
 * feeder count from the fleet: meters keep their feeder, so it cannot change.
 */
export async function withTenantDefaults<T extends FleetFields>(
  db: Pick<Pool, 'query'>,
  caps: Caps,
  input: T,
  options: { keepMeterCount: boolean } = { keepMeterCount: true },
): Promise<ResolvedFleet<T>> {
  const [fleet, auto] = await Promise.all([registeredFleet(db, input.tenantId), getAutoState(db, input.tenantId)]);
  const defaults = contractDefaults(caps);
  return {
    ...input,
    meterCount: input.meterCount ?? (options.keepMeterCount ? fleet?.meterCount : undefined) ?? defaults.meterCount,
    feederCount: input.feederCount ?? fleet?.feederCount ?? defaults.feederCount,
    batchSize: input.batchSize ?? auto?.config.batchSize ?? defaults.batchSize,
    intervalMinutes: input.intervalMinutes ?? fleet?.intervalMinutes ?? auto?.config.intervalMinutes ?? defaults.intervalMinutes,
  };
}
