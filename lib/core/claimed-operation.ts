import { Logger } from '@nestjs/common';
import type { ResponseSummary } from '../module/idempotency-module-options.interface.js';
import type {
  IdempotencyEventDetails,
  IdempotencyEventSubject,
} from '../observability/idempotency-event.interface.js';
import type { IdempotencyEvents } from '../observability/idempotency-events.js';
import type {
  Claim,
  ClaimRequest,
  IdempotencyStore,
  StoredResponse,
} from '../store/idempotency-store.js';

const logger = new Logger('Idempotency');

/** How many renewals fit in one lock timeout: two can fail before the lease runs out. */
const RENEWALS_PER_LOCK_TIMEOUT = 3;

/**
 * Where the claim is:
 * - `leased`: committed on its own (default mode), kept alive by the heartbeat;
 * - `in-transaction`: written in the handler's open transaction, invisible to others;
 * - `committed`: completed in that transaction, which committed;
 * - `rolled-back`: that transaction rolled back, and the claim with it: no row is left;
 * - `settled`: completed or released, nothing more to do.
 */
type ClaimState = 'leased' | 'in-transaction' | 'committed' | 'rolled-back' | 'settled';

/** What a `ClaimedOperation` needs besides its claim. */
export interface ClaimedOperationContext {
  store: IdempotencyStore;
  shouldStore: (response: ResponseSummary) => boolean;
  lockTimeoutSeconds: number;
  events: IdempotencyEvents;
}

/** How a claim ended: the events that close it. */
type Ending = Extract<
  IdempotencyEventDetails,
  { outcome: 'completed' | 'released' | 'store_unavailable' }
>;

/**
 * A key this request owns, from the claim until it is settled with the response that went out.
 * A leased claim (default mode) is renewed every third of `lockTimeout` while it is open, so a
 * handler keeps its key however long it runs, and only a dead process's claim expires. A claim
 * made in the handler's transaction needs no lease: it commits or vanishes with the handler.
 */
export class ClaimedOperation {
  private committed?: StoredResponse;
  private heartbeat?: NodeJS.Timeout;
  /** The last renewal was refused: another request has the key, the heartbeat stops. */
  private leaseLost = false;
  /** Why renewals fail since the last one that worked; reported once per reason. */
  private lapse?: 'taken_over' | 'store_unavailable';
  /** Its ending was reported: exactly one per claim. */
  private ended = false;
  private readonly claimedAt = performance.now();

  constructor(
    private readonly claim: Claim,
    private readonly request: ClaimRequest,
    private readonly context: ClaimedOperationContext,
    private state: ClaimState,
    private readonly subject: IdempotencyEventSubject,
  ) {
    if (state === 'leased') this.scheduleRenewal();
  }

  /**
   * Settles the key with the response that went out: stores it if `shouldStore` wants it, else
   * releases the key. After a transactional commit, only corrects the stored response if what
   * went out differs (an outer interceptor or a filter changed it); after a rollback, stores a
   * 4xx afresh, as the default mode would have. Logs instead of throwing: the caller's answer
   * is already decided.
   */
  async settle(sent: StoredResponse): Promise<void> {
    const state = this.state;
    this.close();
    if (state === 'leased') {
      await this.write(this.context.shouldStore(sent) ? sent : undefined, sent.status);
    } else if (state === 'committed' && !sameResponse(this.committed!, sent)) {
      await this.write(sent, sent.status);
    } else if (state === 'rolled-back') {
      const stored = this.context.shouldStore(sent) && (await this.storeAfterRollback(sent));
      this.end(
        stored
          ? { outcome: 'completed', status: sent.status }
          : { outcome: 'released', status: sent.status },
      );
    }
  }

  /**
   * Releases a leased key, so that a retry runs the operation again; after a rollback there is
   * nothing left to release. Never throws.
   */
  async abandon(): Promise<void> {
    const state = this.state;
    this.close();
    if (state === 'leased') await this.write(undefined, undefined);
    else if (state === 'rolled-back') this.end({ outcome: 'released', status: undefined });
  }

  /**
   * Extends a leased claim's lock by `lockTimeout` from now: the heartbeat calls it. A refused
   * renewal (taken over) stops the heartbeat; a failed one is retried at the next beat. Both are
   * logged, and reported as `renewal_failed` once per lapse.
   */
  async renew(): Promise<void> {
    const { store, lockTimeoutSeconds } = this.context;
    try {
      const renewed = await store.renew(this.claim, lockTimeoutSeconds);
      if (this.state !== 'leased') return;
      if (renewed) {
        this.lapse = undefined;
      } else {
        logger.warn(
          `Idempotency key ${this.keyLabel} was taken over while its handler still runs: its lease could not be renewed`,
        );
        this.leaseLost = true;
        this.lapsed('taken_over');
      }
    } catch (error) {
      if (this.state !== 'leased') return;
      logger.error(
        `Could not renew the lease of idempotency key ${this.keyLabel}: ${(error as Error).message}`,
      );
      this.lapsed('store_unavailable');
    }
    if (!this.leaseLost) this.scheduleRenewal();
  }

  /** Completing the key in the handler's transaction: this response is the key's if it commits. */
  committedWith(response: StoredResponse): void {
    this.state = 'committed';
    this.committed = response;
  }

  /** The handler's transaction committed: the key is completed. */
  reportCommitted(): void {
    if (this.state === 'committed') {
      this.end({ outcome: 'completed', status: this.committed!.status });
    }
  }

  /**
   * The store failed after the claim (its transaction could not complete or commit). Nothing of
   * this request is stored afterwards, whatever went out: had its headers left before the commit,
   * a success that rolled back would otherwise become the key's answer. A retry runs again.
   */
  reportStoreUnavailable(): void {
    this.close();
    this.end({ outcome: 'store_unavailable', stage: 'settle' });
  }

  /** The handler's transaction rolled back: the claim is gone with it. */
  rolledBack(): void {
    if (this.state !== 'settled') this.state = 'rolled-back';
  }

  /**
   * The completion in the handler's transaction found the claim taken: the key is another
   * request's, so what this one sends is not stored, and its taker reported `taken_over`.
   */
  takenOver(): void {
    this.close();
    this.warnTakenOver();
  }

  private scheduleRenewal(): void {
    const interval = (this.context.lockTimeoutSeconds * 1000) / RENEWALS_PER_LOCK_TIMEOUT;
    this.heartbeat = setTimeout(() => void this.renew(), interval);
    this.heartbeat.unref();
  }

  private close(): void {
    this.state = 'settled';
    clearTimeout(this.heartbeat);
  }

  /**
   * A claim and a completion of their own, unless another request has the key by now.
   * @returns whether the response is stored
   */
  private async storeAfterRollback(response: StoredResponse): Promise<boolean> {
    const { store } = this.context;
    try {
      const outcome = await store.claim(this.request);
      return outcome.state === 'claimed' && (await store.complete(outcome.claim, response));
    } catch (error) {
      logger.error(
        `Could not store the answer of idempotency key ${this.keyLabel}: ${(error as Error).message}`,
      );
      return false;
    }
  }

  /** Completes the key with `response`, or releases it; `status` is what went out. */
  private async write(
    response: StoredResponse | undefined,
    status: number | undefined,
  ): Promise<void> {
    const { store } = this.context;
    const action = response ? 'complete' : 'release';
    try {
      const settled = response
        ? await store.complete(this.claim, response)
        : await store.release(this.claim);
      if (settled) {
        this.end(
          response
            ? { outcome: 'completed', status: response.status }
            : { outcome: 'released', status },
        );
      } else {
        // Its taker reported taken_over; this claim ends with no event of its own.
        this.warnTakenOver();
      }
    } catch (error) {
      logger.error(
        `Could not ${action} idempotency key ${this.keyLabel}: ${(error as Error).message}`,
      );
      this.end({ outcome: 'store_unavailable', stage: 'settle' });
    }
  }

  private warnTakenOver(): void {
    logger.warn(
      `Idempotency key ${this.keyLabel} was taken over by another request before this one finished`,
    );
  }

  private end(ending: Ending): void {
    if (this.ended) return;
    this.ended = true;
    this.report(ending);
  }

  private lapsed(reason: 'taken_over' | 'store_unavailable'): void {
    if (this.lapse === reason) return;
    this.lapse = reason;
    this.report({ outcome: 'renewal_failed', reason });
  }

  private report(details: IdempotencyEventDetails): void {
    const durationMs = performance.now() - this.claimedAt;
    this.context.events.emit({ ...this.subject, ...details, durationMs });
  }

  /** How log lines name the key: by its hash, never the key itself. */
  private get keyLabel(): string {
    return `(key_hash=${this.subject.keyHash})`;
  }
}

function sameResponse(a: StoredResponse, b: StoredResponse): boolean {
  const sameBody = a.body === null || b.body === null ? a.body === b.body : a.body.equals(b.body);
  const names = new Set([...Object.keys(a.headers), ...Object.keys(b.headers)]);
  return (
    a.status === b.status &&
    sameBody &&
    [...names].every((name) => a.headers[name] === b.headers[name])
  );
}
