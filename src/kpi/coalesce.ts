/**
 * Request coalescing: callers asking for the same key while a computation of
 * it is running share that computation's result instead of starting another.
 * Nothing is kept once it settles, so an answer is never older than the
 * computation it came from (no cache, no TTL): under 50 dashboards polling at
 * once, the database computes each figure once per round instead of 50 times.
 */
export function coalescing<T>() {
  const inFlight = new Map<string, Promise<T>>();
  return (key: string, compute: () => Promise<T>): Promise<T> => {
    const running = inFlight.get(key);
    if (running) return running;
    const started = compute().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
