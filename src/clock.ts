/**
 * The one clock. Every "now" that decides a result (the current interval, the
 * events in force, ledger timings, retention) comes from the Clock the service
 * was started with; tests pass a set one (test/helpers/clock.ts) and never wait
 * for the wall clock. SQL functions take the instant as an argument; a GraphQL
 * request carries it in the setting `ami.now`, read by `public.ami_now()` (see
 * src/graphql.ts), so REST and GraphQL agree on "now".
 *
 * Graphile Worker's own bookkeeping (run_at, locked_at) and the worker
 * heartbeats stay on the database clock: they measure real time between
 * processes, which a set clock must not stretch.
 */
export type Clock = () => Date;

/** The wall clock, for the service itself. */
export const systemClock: Clock = () => new Date();
