import { summarizeLatencies, type LatencySummary } from './stats.js';

/** What a closed loop measured. */
export interface LoopResult {
  ops: number;
  seconds: number;
  opsPerSecond: number;
  latency: LatencySummary;
  errors: number;
}

/**
 * Runs `op` from `concurrency` workers, each starting its next call when its last one settled,
 * until `seconds` have passed or `until` settles; records every call's latency.
 */
export async function closedLoop(
  op: (worker: number) => Promise<unknown>,
  options: { concurrency: number; seconds?: number; until?: Promise<unknown> },
): Promise<LoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let stopped = false;
  let firstError: unknown;
  const timer =
    options.seconds === undefined
      ? undefined
      : setTimeout(() => (stopped = true), options.seconds * 1000);
  void options.until?.finally(() => (stopped = true));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      while (!stopped) {
        const t0 = performance.now();
        try {
          await op(worker);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors++;
          firstError ??= error;
          if (errors > 100) stopped = true;
        }
      }
    }),
  );
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  if (errors > 100) throw new Error(`closed loop: too many errors, first: ${String(firstError)}`);
  return {
    ops: latencies.length,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latency: summarizeLatencies(latencies),
    errors,
  };
}

/**
 * Calls `op` at a steady `ratePerSecond` (an open loop: a slow call does not delay the next
 * one), until `seconds` have passed or `until` settles. Latency counts from when each call was
 * due, so queueing behind a slow server is not hidden. At most `maxInFlight` calls overlap;
 * calls due beyond that are skipped and counted as errors.
 */
export async function pacedLoop(
  op: () => Promise<unknown>,
  options: {
    ratePerSecond: number;
    seconds?: number;
    until?: Promise<unknown>;
    maxInFlight?: number;
  },
): Promise<LoopResult> {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = options.maxInFlight ?? 64;
  const interval = 1000 / options.ratePerSecond;
  let errors = 0;
  let stopped = false;
  const timer =
    options.seconds === undefined
      ? undefined
      : setTimeout(() => (stopped = true), options.seconds * 1000);
  void options.until?.finally(() => (stopped = true));
  const started = performance.now();
  let due = started;
  while (!stopped) {
    const now = performance.now();
    if (now < due) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(due - now))));
      continue;
    }
    const scheduled = due;
    due += interval;
    if (inFlight.size >= maxInFlight) {
      errors++;
      continue;
    }
    const call: Promise<void> = op().then(
      () => void latencies.push(performance.now() - scheduled),
      () => void errors++,
    );
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  }
  await Promise.all(inFlight);
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  return {
    ops: latencies.length,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latency: summarizeLatencies(latencies),
    errors,
  };
}
