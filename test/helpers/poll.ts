const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` every `everyMs` until stopped (a probe that throws or answers
 * false is a failure); `stop` gives how many calls ran, the slowest one's
 * duration and the failures. Tests use it to watch that a process stays
 * responsive while it is being abused.
 */
export function pollTimes(probe: () => Promise<boolean>, everyMs: number) {
  const times: number[] = [];
  let failures = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const started = performance.now();
      if (!(await probe().catch(() => false))) failures++;
      times.push(performance.now() - started);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { count: times.length, maxMs: Math.max(...times), failures };
    },
  };
}
