/**
 * Starts `start(index)` `ratePerSecond` times a second until `endsAt` (a `performance.now()`
 * time), whatever the earlier calls take: an open loop, so a slow app meets a growing backlog
 * instead of a politely slowing client. Resolves when the last call has settled.
 */
export async function pacedLoad(
  start: (index: number) => Promise<void>,
  options: { ratePerSecond: number; endsAt: number },
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / options.ratePerSecond;
  let due = performance.now();
  for (let index = 0; due < options.endsAt; index++) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const call = start(index);
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    due += interval;
  }
  await Promise.all(inFlight);
}
