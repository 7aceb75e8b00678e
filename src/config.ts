import { z } from 'zod';

/**
 * The service's configuration, read once from the environment at start.
 * Every variable has a default except the secrets; a bad value stops the
 * process with a message naming the variable and what it accepts.
 */
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const booleanFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes');

const envSchema = z
  .object({
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
      .optional(),
    PORT: integer(0, 65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    AMI_API_TOKEN: z.string().min(16, 'must be at least 16 characters (it guards the mutating endpoints)').optional(),
    AMI_CORS_ORIGINS: z
      .string()
      .default('https://app.gridlensenergy.com,http://localhost:3000,http://127.0.0.1:3000')
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url({ error: 'must be a comma-separated list of origins such as https://app.example.com' }))),
    AMI_MAX_BATCH_SIZE: integer(1, 100_000).default(500),
    AMI_MAX_METER_COUNT: integer(1, 10_000_000).default(25_000),
    AMI_MAX_JOBS_PER_TICK: integer(1, 100_000).default(50),
    AMI_MAX_QUEUE_DEPTH: integer(1, 1_000_000).default(500),
    AMI_WORKER_CONCURRENCY: integer(1, 64).default(8),
    AMI_TICK_CRON: z
      .string()
      .regex(/^\S+ \S+ \S+ \S+ \S+$/, 'must be a 5-field crontab pattern such as */15 * * * *')
      .default('*/15 * * * *'),
    AMI_RETENTION_DAYS: integer(0, 36_500).default(30),
    AMI_READ_CONCURRENCY: integer(1, 200).default(6),
    AMI_READ_QUEUE: integer(0, 10_000).default(100),
    AMI_STATEMENT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
    AMI_EXPORT_CONCURRENCY: integer(1, 50).default(2),
    AMI_EXPORT_TIMEOUT_MS: integer(1_000, 3_600_000).default(600_000),
    AMI_EMBEDDED_PG_DIR: z.string().min(1).optional(),
    AMI_EMBEDDED_PG_PORT: integer(1, 65535).default(54329),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: booleanFlag.optional(),
  })
  .superRefine((env, ctx) => {
    // A tick larger than the queue could never be enqueued: every one would be skipped.
    if (env.AMI_MAX_JOBS_PER_TICK > env.AMI_MAX_QUEUE_DEPTH) {
      ctx.addIssue({
        code: 'custom',
        path: ['AMI_MAX_JOBS_PER_TICK'],
        message: `must be at most AMI_MAX_QUEUE_DEPTH (${env.AMI_MAX_QUEUE_DEPTH}): a tick of more jobs than the queue holds would never be enqueued`,
      });
    }
  });

export interface Caps {
  /** Largest batch (meters per `ami_publish_batch` job). */
  maxBatchSize: number;
  /** Largest fleet a tenant may publish. */
  maxMeterCount: number;
  /** Most batch jobs one tick may enqueue. */
  maxJobsPerTick: number;
  /** Waiting + delayed `ami_publish_batch` jobs never exceed this. */
  maxQueueDepth: number;
}

export interface Config {
  databaseUrl: string | undefined;
  port: number;
  host: string;
  apiToken: string | undefined;
  corsOrigins: string[];
  caps: Caps;
  workerConcurrency: number;
  /** Crontab pattern of the scheduler: every 15 minutes in production (tests use every minute). */
  tickCron: string;
  /** Days of interval reads kept; older ones are deleted every hour. 0 keeps them all. */
  retentionDays: number;
  /** Heavy reads (KPIs, series, GraphQL, exports): running at once, waiting, and their statement timeout. */
  reads: { concurrency: number; queue: number; statementTimeoutMs: number };
  /** Exports (Green Button, CSV): at most this many at once (each also takes a read turn), each bounded by its own statement timeout. */
  exports: { concurrency: number; statementTimeoutMs: number };
  embeddedPg: { dataDir: string | undefined; port: number };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logPretty: boolean | undefined;
}

const SECRETS = new Set(['AMI_API_TOKEN', 'DATABASE_URL']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set" (as in `AMI_API_TOKEN= npm start`).
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.');
      const shown = SECRETS.has(variable) ? '(hidden)' : JSON.stringify(env[variable] ?? '');
      return `  ${variable}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST,
    apiToken: e.AMI_API_TOKEN,
    corsOrigins: e.AMI_CORS_ORIGINS,
    caps: {
      maxBatchSize: e.AMI_MAX_BATCH_SIZE,
      maxMeterCount: e.AMI_MAX_METER_COUNT,
      maxJobsPerTick: e.AMI_MAX_JOBS_PER_TICK,
      maxQueueDepth: e.AMI_MAX_QUEUE_DEPTH,
    },
    workerConcurrency: e.AMI_WORKER_CONCURRENCY,
    tickCron: e.AMI_TICK_CRON,
    retentionDays: e.AMI_RETENTION_DAYS,
    reads: { concurrency: e.AMI_READ_CONCURRENCY, queue: e.AMI_READ_QUEUE, statementTimeoutMs: e.AMI_STATEMENT_TIMEOUT_MS },
    exports: { concurrency: e.AMI_EXPORT_CONCURRENCY, statementTimeoutMs: e.AMI_EXPORT_TIMEOUT_MS },
    embeddedPg: { dataDir: e.AMI_EMBEDDED_PG_DIR, port: e.AMI_EMBEDDED_PG_PORT },
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
  };
}
