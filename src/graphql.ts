import { postgraphile, type PostGraphileInstance } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { randomBytes } from 'node:crypto';
import { isSafeError, lambda, SafeError } from 'postgraphile/grafast';
import { defaultMaskError } from 'postgraphile/grafserv';
import { grafserv } from 'postgraphile/grafserv/express/v4';
import { GraphQLError } from 'postgraphile/graphql';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { type Clock, systemClock } from './clock.ts';
import type { Pool } from './db/pool.ts';
import type { Logger } from './logger.ts';
import { countTokens, graphqlLimitsRule, type GraphQLLimits } from './graphqlLimits.ts';

/**
 * The read-only GraphQL API (PostGraphile V5) over the KPI schema `ami_kpi`:
 * queries only (no Mutation type), every list paginated and capped, depth and
 * breadth limited, each request run as the role `ami_kpi_reader` under a
 * statement timeout. The comments of the SQL objects are its documentation.
 */
export const KPI_SCHEMA = 'ami_kpi';
export const READER_ROLE = 'ami_kpi_reader';

export const GRAPHQL_LIMITS: GraphQLLimits = {
  /** Largest `first` / `last` of any connection. */
  maxPageSize: 1000,
  /** Selection sets deep (introspection fields excepted). */
  maxDepth: 8,
  /** Connection fields in one operation, aliases included. */
  maxConnections: 10,
  /** Fields in one operation with its fragments expanded. */
  maxFields: 1000,
  /** Aliased fields in one document. */
  maxAliases: 30,
  /** Lexical tokens in one document, counted before parsing. */
  maxTokens: 5000,
};
const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

export type ExpressGrafserv = ReturnType<typeof grafserv>;

export interface GraphQLService {
  serv: ExpressGrafserv;
  /** Releases PostGraphile (and its server); the pool stays the caller's. */
  release(): Promise<void>;
}

export function createGraphQL(options: {
  pool: Pool;
  logger: Logger;
  limits?: GraphQLLimits;
  clock?: Clock;
  retentionDays?: number;
  statementTimeoutMs?: number;
}): GraphQLService {
  const limits = options.limits ?? GRAPHQL_LIMITS;
  const clock = options.clock ?? systemClock;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset],
    plugins: [pageSizeCapPlugin(limits.maxPageSize), validationRulesPlugin(limits), restNamesPlugin, isoInstantsPlugin],
    pgServices: [
      makePgService({
        pool: options.pool,
        schemas: [KPI_SCHEMA],
        // No subscriptions: nothing should hold a LISTEN connection of the pool.
        pubsub: false,
        // `ami.now` is the service's clock for this request (public.ami_now()), so
        // "in force now" means the same instant here as in the REST quickcheck.
        // The readAt rule of intervalKpisAt needs the retention too (ami.retention_days).
        pgSettings: () => ({
          role: READER_ROLE,
          statement_timeout: String(statementTimeoutMs),
          'ami.now': clock().toISOString(),
          'ami.retention_days': String(options.retentionDays ?? 0),
        }),
      }),
    ],
    schema: {
      defaultBehavior: '-insert -update -delete',
    },
    grafserv: {
      graphqlPath: '/graphql',
      graphiqlPath: '/graphiql',
      graphiql: true,
      graphiqlOnGraphQLGET: false,
      websockets: false,
      watch: false,
      maxRequestLength: 64 * 1024,
      maskError: maskError(options.logger, statementTimeoutMs),
    },
    grafast: {
      explain: false,
    },
  };
  const pgl: PostGraphileInstance = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  return { serv, release: async () => pgl.release() };
}

/**
 * PostgreSQL's codes for a value of the caller's it refused: a date or number
 * it could not read, a negative offset or limit, a NUL or an untranslatable
 * character in a string, a readAt the KPI functions refuse (22023).
 */
const INPUT_SQLSTATES = new Set(['22007', '22008', '22009', '22P02', '2201W', '2201X', '22021', '22P05', '22023']);

/**
 * What a failed field says to the caller. GraphQL's own errors and SafeErrors
 * pass as they are (grafserv's default); a value PostgreSQL could not read
 * (`readAt: "banana"`) and the statement timeout are said plainly, since they
 * are the caller's to fix; anything else is logged in full here, through the
 * service's logger, and answered with its id only.
 */
function maskError(logger: Logger, statementTimeoutMs: number): (error: GraphQLError) => GraphQLError {
  return (error) => {
    const original = error.originalError as (Error & { code?: unknown }) | undefined;
    if (!original || original instanceof GraphQLError || isSafeError(original)) return defaultMaskError(error);
    const reply = (message: string, extensions: Record<string, unknown>) =>
      new GraphQLError(message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: original,
        extensions,
      });
    if (typeof original.code === 'string' && INPUT_SQLSTATES.has(original.code)) {
      return reply(`invalid input: ${original.message}`, { code: 'INVALID_INPUT' });
    }
    if (original.code === '57014') {
      logger.warn({ path: error.path, message: original.message }, 'GraphQL statement timed out');
      return reply(`the query ran past the ${statementTimeoutMs} ms statement timeout: ask for fewer rows or a narrower window`, {
        code: 'STATEMENT_TIMEOUT',
      });
    }
    const errorId = randomBytes(6).toString('hex');
    logger.error({ err: original, errorId, path: error.path }, 'GraphQL error');
    return reply(`an internal error occurred (error id ${errorId}, in the service log)`, { errorId });
  };
}

/**
 * Field names as REST spells them: `stale_over_15m` is `staleOver15m`, not
 * the `staleOver15M` lodash's camelCase makes of it (a digit followed by a
 * unit letter stays lower case).
 */
const restNamesPlugin: GraphileConfig.Plugin = {
  name: 'AmiRestNamesPlugin',
  version: '1.0.0',
  description: 'Names ending in a number and a unit keep the unit lower case (staleOver15m)',
  inflection: {
    replace: {
      attribute(previous, _options, details) {
        return previous!(details).replace(/(\d)([A-Z])(?![a-z])/g, (_match, digit: string, unit: string) => digit + unit.toLowerCase());
      },
    },
  },
};

/**
 * Instants as REST writes them: ISO 8601 in UTC with milliseconds and Z
 * (2026-11-28T10:15:00.000Z), not PostgreSQL's +00:00 with microseconds.
 */
const isoInstantsPlugin: GraphileConfig.Plugin = {
  name: 'AmiIsoInstantsPlugin',
  version: '1.0.0',
  description: 'Datetime values serialised as ISO 8601 UTC instants',
  schema: {
    hooks: {
      GraphQLScalarType(config) {
        if (config.name !== 'Datetime') return config;
        const serialize = config.serialize;
        return {
          ...config,
          serialize(value: unknown) {
            const text = serialize ? serialize(value) : value;
            const date = typeof text === 'string' || text instanceof Date ? new Date(text as string) : undefined;
            return date && !Number.isNaN(date.getTime()) ? date.toISOString() : text;
          },
        };
      },
    },
  },
};

/**
 * Caps `first` and `last` of every connection at `max`, including values
 * given through variables (checked when the query runs). Omitting both is
 * refused earlier, by the validation rule.
 */
function pageSizeCapPlugin(max: number): GraphileConfig.Plugin {
  const check = (name: string) => (value: unknown) => {
    if (value === null || value === undefined) {
      throw new SafeError(`${name} must be a number from 0 to ${max}`);
    }
    if (typeof value !== 'number' || value < 0 || value > max) {
      throw new SafeError(`${name} must be from 0 to ${max} (got ${String(value)}); page with after/before cursors`);
    }
    return value;
  };
  return {
    name: 'AmiPageSizeCapPlugin',
    version: '1.0.0',
    description: `Caps first/last of every connection at ${max}`,
    after: ['PgFirstLastBeforeAfterArgsPlugin'],
    schema: {
      hooks: {
        GraphQLObjectType_fields_field_args(args, build, context) {
          if (!context.scope.isPgFieldConnection && !context.scope.isPgFieldSimpleCollection) return args;
          for (const name of ['first', 'last'] as const) {
            const arg = args[name];
            const applyPlan = arg?.applyPlan;
            if (!arg || !applyPlan) continue;
            const validate = check(name);
            args[name] = {
              ...arg,
              description: build.wrapDescription(`${arg.description ?? ''} At most ${max}.`.trim(), 'arg'),
              applyPlan(parent, $target, input, info) {
                // The check may throw, so the lambda is not marked sync-and-safe.
                const capped = { ...input, getRaw: (path?: string | string[]) => lambda(input.getRaw(path as never), validate) };
                return applyPlan(parent, $target, capped as unknown as typeof input, info);
              },
            };
          }
          return args;
        },
      },
    },
  };
}

/** Adds the depth, breadth and pagination rule to grafserv's validation. */
function validationRulesPlugin(limits: GraphQLLimits): GraphileConfig.Plugin {
  return {
    name: 'AmiGraphQLLimitsPlugin',
    version: '1.0.0',
    description: 'Refuses operations too deep, too broad or without pagination',
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(graphqlLimitsRule(limits));
          return next();
        },
        // Before parsing: a document of too many tokens is refused unread.
        processGraphQLRequestBody(next, event) {
          const query = (event.body as { query?: unknown }).query;
          if (typeof query === 'string' && countTokens(query, limits.maxTokens) > limits.maxTokens) {
            throw new SafeError(`the document has more than ${limits.maxTokens} tokens; the limit is ${limits.maxTokens}`, { statusCode: 400 });
          }
          return next();
        },
      },
    },
  };
}
