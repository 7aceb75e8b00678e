import { postgraphile, type PostGraphileInstance } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { lambda, SafeError } from 'postgraphile/grafast';
import { grafserv } from 'postgraphile/grafserv/express/v4';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import type { Pool } from './db/pool.ts';
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

export function createGraphQL(options: { pool: Pool; limits?: GraphQLLimits }): GraphQLService {
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
