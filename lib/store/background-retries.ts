import { Logger } from '@nestjs/common';
import { isConnectionError } from './is-connection-error.js';

/** A write that settles a claim, to try again until PostgreSQL answers it. */
export interface RetriedWrite {
  /** One per claim: a newer write for the same claim replaces the older one. */
  id: string;
  /** What it does, for the log: `release idempotency key "abc"`. */
  label: string;
  /** Runs the write once; throws while the database cannot be reached. */
  run(): Promise<void>;
}

const logger = new Logger('Idempotency');

/** Pause between two rounds while the database is away. */
const RETRY_INTERVAL_MS = 500;
/** Writes kept at most; the oldest is dropped beyond, so a long outage cannot grow memory. */
const MAX_PENDING = 1000;
// A restart or a failover takes seconds to a minute. Past this, the claims these writes settle
// have long run past their lock timeout, and a retry of their keys runs them again anyway.
const MAX_AGE_MS = 5 * 60_000;

/**
 * Writes that settle claims (completions, releases) and failed because PostgreSQL could not be
 * reached, retried in the background until it answers. Every such write is fenced by its
 * claim's token, so a late one is never wrong: at worst the claim was taken over meanwhile and
 * it changes nothing.
 */
export class BackgroundRetries {
  private readonly pending = new Map<string, { write: RetriedWrite; since: number }>();
  private timer?: NodeJS.Timeout;
  private flushing = false;
  private closed = false;

  /** Queues `write`, to be tried again in `RETRY_INTERVAL_MS`. */
  add(write: RetriedWrite): void {
    if (this.closed) return;
    this.pending.delete(write.id);
    this.pending.set(write.id, { write, since: Date.now() });
    if (this.pending.size > MAX_PENDING) {
      const [oldestId, oldest] = this.pending.entries().next().value!;
      this.pending.delete(oldestId);
      logger.error(
        `Gave up trying to ${oldest.write.label}: too many writes waiting for the database`,
      );
    }
    this.schedule();
  }

  /** Drops what is still waiting (the app is shutting down); those keys wait for their lock timeout. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.pending.size > 0) {
      logger.warn(
        `${this.pending.size} idempotency key(s) not settled at shutdown: they stay in flight until their lock timeout`,
      );
    }
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.flushing || this.closed) return;
    this.timer = setTimeout(() => void this.flush(), RETRY_INTERVAL_MS);
    this.timer.unref();
  }

  // Oldest first, and the first write that still cannot reach the database ends the round: while
  // it is away, each round costs one connection attempt, however many writes wait.
  private async flush(): Promise<void> {
    this.timer = undefined;
    this.flushing = true;
    try {
      for (const [id, entry] of this.pending) {
        if (this.closed) return;
        if (Date.now() - entry.since > MAX_AGE_MS) {
          this.pending.delete(id);
          logger.error(`Gave up trying to ${entry.write.label}: the database was away too long`);
          continue;
        }
        try {
          await entry.write.run();
        } catch (error) {
          if (isConnectionError(error)) break;
          logger.error(`Could not ${entry.write.label}: ${(error as Error).message}`);
        }
        if (this.pending.get(id) === entry) this.pending.delete(id);
      }
    } finally {
      this.flushing = false;
      if (this.pending.size > 0) this.schedule();
    }
  }
}
