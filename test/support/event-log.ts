import { createHash } from 'node:crypto';
import type { IdempotencyEvent, IdempotencyOutcome } from '../../lib/index.js';

/** The documented hash of a key in events: the first 16 hex digits of its SHA-256. */
export function keyHashOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * Every event an app emitted, through its `onEvent` option. `next()` waits for an event instead
 * of sleeping: it resolves as soon as one matches, or at once if one already has.
 */
export class EventLog {
  readonly events: IdempotencyEvent[] = [];
  private waiters: Array<{ matches: (event: IdempotencyEvent) => boolean; resolve: () => void }> =
    [];

  readonly onEvent = (event: IdempotencyEvent): void => {
    this.events.push(event);
    for (const waiter of this.waiters.filter(({ matches }) => matches(event))) waiter.resolve();
    this.waiters = this.waiters.filter(({ matches }) => !matches(event));
  };

  /** The events of one key, in order. */
  of(key: string): IdempotencyEvent[] {
    const keyHash = keyHashOf(key);
    return this.events.filter((event) => event.keyHash === keyHash);
  }

  /** The outcomes of one key, in order. */
  outcomesOf(key: string): IdempotencyOutcome[] {
    return this.of(key).map((event) => event.outcome);
  }

  /** Resolves once the key has had an event with this outcome. */
  next(key: string, outcome: IdempotencyOutcome): Promise<void> {
    const keyHash = keyHashOf(key);
    const matches = (event: IdempotencyEvent) =>
      event.keyHash === keyHash && event.outcome === outcome;
    if (this.events.some(matches)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ matches, resolve }));
  }

  clear(): void {
    this.events.length = 0;
  }
}
