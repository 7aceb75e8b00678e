/**
 * What the load model needs to know about a tenant: its id (seeds its weather and its meters),
 * its IANA time zone (local clock, calendar and climate) and the share of homes with rooftop solar.
 */

/** A tenant as the load model sees it. */
export interface TenantModel {
  tenantId: string;
  /** IANA name, e.g. `America/Chicago` (see {@link isValidTimeZone}). */
  timeZone: string;
  /** Share of residential meters with rooftop solar, 0..1 (the mean over feeders). */
  solarShare: number;
}

export const DEFAULT_TIME_ZONE = 'America/Chicago';
/**
 * 5 % of homes with rooftop solar: the default. About the US level of 2023-2024
 * (some 4-5 million residential systems for about 140 million homes: LBNL Tracking the Sun 2024
 * counts 3.7 million distributed systems through 2023).
 */
export const DEFAULT_SOLAR_SHARE = 0.05;

/** The tenant model with the defaults for what is not given. */
export function tenantModel(tenantId: string, options: { timeZone?: string; solarShare?: number } = {}): TenantModel {
  return { tenantId, timeZone: options.timeZone ?? DEFAULT_TIME_ZONE, solarShare: options.solarShare ?? DEFAULT_SOLAR_SHARE };
}

const zoneCache = new Map<string, string | null>();

/**
 * The canonical IANA name of `name` as Node's Intl knows it (`america/chicago` and `US/Central`
 * give `America/Chicago`), or undefined when Intl does not know it or it is a bare UTC offset
 * such as `+05:00` (not an IANA name, and it has no DST rules).
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) return undefined;
  let canonical = zoneCache.get(name);
  if (canonical === undefined) {
    canonical = null;
    if (!/^[+-]/.test(name)) {
      try {
        canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
      } catch {
        canonical = null;
      }
    }
    if (zoneCache.size < 1_000) zoneCache.set(name, canonical);
  }
  return canonical ?? undefined;
}

/** True for an IANA time zone name Node's Intl knows (`America/Chicago`, `Europe/Berlin`, `UTC`). */
export function isValidTimeZone(name: string): boolean {
  return canonicalTimeZone(name) !== undefined;
}

/** @throws RangeError naming the field when the tenant model is not usable. */
export function assertTenantModel(tenant: TenantModel): void {
  if (tenant === null || typeof tenant !== 'object' || typeof tenant.tenantId !== 'string') {
    throw new RangeError('tenant must be a TenantModel { tenantId, timeZone, solarShare }');
  }
  if (!isValidTimeZone(tenant.timeZone)) throw new RangeError(`timeZone must be an IANA time zone name; got ${String(tenant.timeZone)}`);
  if (!(tenant.solarShare >= 0 && tenant.solarShare <= 1)) throw new RangeError(`solarShare must be in [0, 1]; got ${String(tenant.solarShare)}`);
}
