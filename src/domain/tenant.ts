import { z } from 'zod';

/**
 * The tenant id format: it appears in URLs, job keys and logs. This is the
 * one definition; the database enforces the same rule with
 * `public.ami_valid_tenant_id` (a test holds the two equal), and the
 * dashboard defers to the API's answer.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const TENANT_ID_RULE = 'must be 1-64 letters, digits, _ or -, starting with a letter or digit';

export const tenantIdSchema = z.string({ error: 'must be a string' }).regex(TENANT_ID_PATTERN, TENANT_ID_RULE);

/** A body or query that names a tenant and nothing else (auto/stop, auto/status). */
export const tenantOnlySchema = z.strictObject({ tenantId: tenantIdSchema });
