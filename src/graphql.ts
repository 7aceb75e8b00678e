import { postgraphile, type PostGraphileInstance } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { randomBytes } from 'node:crypto';
import { isSafeError, lambda, SafeError } from 'postgraphile/grafast';
import { defaultMaskError } from 'postgraphile/grafserv';
import { grafserv } from 'postgraphile/grafserv/express/v4';
import { GraphQLError } from 'postgraphile/graphql';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import type { Pool } from './db/pool.ts';
import type { Logger } from './logger.ts';
import { graphqlLimitsRule, type GraphQLLimits } from './graphqlLimits.ts';

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
};
const STATEMENT_TIMEOUT_MS = 5000;

export type ExpressGrafserv = ReturnType<typeof grafserv>;

export interface GraphQLService {
  serv: ExpressGrafserv;
  /** Releases PostGraphile (and its server); the pool stays the caller's. */
  release(): Promise<void>;
}

export function createGraphQL(options: { pool: Pool; logger: Logger; limits?: GraphQLLimits }): GraphQLService {
  const limits = options.limits ?? GRAPHQL_LIMITS;
  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset],
    plugins: [pageSizeCapPlugin(limits.maxPageSize), validationRulesPlugin(limits)],
    pgServices: [
      makePgService({
        pool: options.pool,
        schemas: [KPI_SCHEMA],
        // No subscriptions: nothing should hold a LISTEN connection of the pool.
        pubsub: false,
        pgSettings: () => ({ role: READER_ROLE, statement_timeout: String(STATEMENT_TIMEOUT_MS) }),
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
      maskError: maskError(options.logger),
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
 * character in a string.
 */
const INPUT_SQLSTATES = new Set(['22007', '22008', '22009', '22P02', '2201W', '2201X', '22021', '22P05']);

/**
 * What a failed field says to the caller. GraphQL's own errors and SafeErrors
 * pass as they are (grafserv's default); a value PostgreSQL could not read
 * (`readAt: "banana"`) and the statement timeout are said plainly, since they
 * are the caller's to fix; anything else is logged in full here, through the
 * service's logger, and answered with its id only.
 */
function maskError(logger: Logger): (error: GraphQLError) => GraphQLError {
  return (error) => {
    const original = error.originalError as (Error & { code?: unknown }) | undefined;
    if (!original || original instanceof GraphQLError || isSafeError(original)) return defaultMaskError(error);
    const reply = (message: string, extensions: Record<string, unknown>) =>
      new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: original, extensions });
    if (typeof original.code === 'string' && INPUT_SQLSTATES.has(original.code)) {
      return reply(`invalid input: ${original.message}`, { code: 'INVALID_INPUT' });
    }
    if (original.code === '57014') {
      logger.warn({ path: error.path, message: original.message }, 'GraphQL statement timed out');
      return reply(`the query ran past the ${STATEMENT_TIMEOUT_MS} ms statement timeout: ask for fewer rows or a narrower window`, { code: 'STATEMENT_TIMEOUT' });
    }
    const errorId = randomBytes(6).toString('hex');
    logger.error({ err: original, errorId, path: error.path }, 'GraphQL error');
    return reply(`an internal error occurred (error id ${errorId}, in the service log)`, { errorId });
  };
}

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
      },
    },
  };
}
