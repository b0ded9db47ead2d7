/** Name of the request header that asks for a fault (only with `SAMPLE_FAULTS=1`). */
export const SIMULATE_HEADER = 'x-simulate';

/** A fault a request asks for with `X-Simulate`. */
export type Simulation =
  | { kind: 'error' }
  | { kind: 'slow'; ms: number }
  | { kind: 'crash' }
  | { kind: 'crash-after-write' }
  | { kind: 'crash-before-response' };

const SLOW = /^slow:(\d{1,9})$/;

/**
 * Reads the `X-Simulate` header: `undefined` when absent, `null` when it names no fault.
 */
export function parseSimulation(
  header: string | string[] | undefined,
): Simulation | undefined | null {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  const slow = SLOW.exec(value);
  if (slow) return { kind: 'slow', ms: Number(slow[1]) };
  if (
    value === 'error' ||
    value === 'crash' ||
    value === 'crash-after-write' ||
    value === 'crash-before-response'
  ) {
    return { kind: value };
  }
  return null;
}

/**
 * Kills this process at once with SIGKILL: no shutdown hook, no rollback, no response, as a
 * power cut would. Never returns.
 */
export function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  // The signal is already on its way; make sure not one more line of this request runs.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  throw new Error('SIGKILL did not kill the process');
}
