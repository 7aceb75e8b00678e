/**
 * Request coalescing: callers asking for the same key while a computation of
 * it is running share that computation's result instead of starting another.
 * Nothing is kept once it settles, so an answer is never older than the
 * computation it came from (no cache, no TTL): under 50 dashboards polling at
 * once, the database computes each figure once per round instead of 50 times.
 *
 * Each caller may pass an AbortSignal (its client went away); the shared
 * computation is aborted only when every caller waiting for it has gone.
 */
export function coalescing<T>() {
  const inFlight = new Map<string, { result: Promise<T>; waiting: number; controller: AbortController }>();
  return (key: string, compute: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    let entry = inFlight.get(key);
    if (!entry) {
      const controller = new AbortController();
      const created = { result: Promise.resolve() as unknown as Promise<T>, waiting: 0, controller };
      created.result = compute(controller.signal).finally(() => inFlight.delete(key));
      inFlight.set(key, created);
      entry = created;
    }
    const shared = entry;
    shared.waiting += 1;
    signal?.addEventListener(
      'abort',
      () => {
        shared.waiting -= 1;
        if (shared.waiting === 0) shared.controller.abort();
      },
      { once: true },
    );
    return shared.result;
  };
}
