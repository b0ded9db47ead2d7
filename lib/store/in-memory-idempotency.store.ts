import { randomUUID } from 'node:crypto';
import { assertBatchSize } from './assert-batch-size.js';
import type { EvictKeyOptions, Eviction } from './eviction.interface.js';
import type { IdempotencyStoreStats } from './idempotency-store-stats.interface.js';
import {
  IdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from './idempotency-store.js';
import type { InspectKeyOptions, StoredKey } from './stored-key.interface.js';

interface Entry {
  status: 'in_progress' | 'completed';
  fingerprint: string;
  token: string;
  createdAt: number;
  lockedUntil: number;
  expiresAt: number;
  response?: StoredResponse;
}

/**
 * A store in process memory, for unit tests of your app: same semantics as the PostgreSQL
 * store within one process (both pass `describeIdempotencyStore`), nothing shared between
 * processes, nothing survives a restart.
 * @param now the clock, in milliseconds; inject one to test TTLs without sleeping.
 * @example
 * let now = Date.now();
 * IdempotencyModule.forRoot({ store: new InMemoryIdempotencyStore(() => now) });
 * now += 25 * 3600 * 1000; // a day later: keys with the default 24h TTL are new again
 */
export class InMemoryIdempotencyStore extends IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const id = entryId(request);
    const existing = this.entries.get(id);
    if (existing && !this.isStale(existing)) {
      return existing.status === 'completed'
        ? {
            state: 'completed',
            fingerprint: existing.fingerprint,
            response: copy(existing.response!),
          }
        : { state: 'in_progress', fingerprint: existing.fingerprint };
    }
    const now = this.now();
    const token = randomUUID();
    this.entries.set(id, {
      status: 'in_progress',
      fingerprint: request.fingerprint,
      token,
      createdAt: now,
      lockedUntil: now + request.lockTimeoutSeconds * 1000,
      expiresAt: now + request.ttlSeconds * 1000,
    });
    return {
      state: 'claimed',
      claim: { scope: request.scope, key: request.key, token },
      takenOver: existing?.status === 'in_progress',
    };
  }

  async complete(claim: Claim, response: StoredResponse): Promise<boolean> {
    const entry = this.entries.get(entryId(claim));
    if (entry?.token !== claim.token) return false;
    entry.status = 'completed';
    entry.response = copy(response);
    return true;
  }

  async release(claim: Claim): Promise<boolean> {
    const id = entryId(claim);
    const entry = this.entries.get(id);
    if (entry?.token !== claim.token || entry.status !== 'in_progress') return false;
    return this.entries.delete(id);
  }

  async renew(claim: Claim, lockTimeoutSeconds: number): Promise<boolean> {
    const entry = this.entries.get(entryId(claim));
    if (entry?.token !== claim.token || entry.status !== 'in_progress') return false;
    entry.lockedUntil = this.now() + lockTimeoutSeconds * 1000;
    return true;
  }

  // One pass over the map: no statement to keep short, so the batch size only gets checked.
  async purgeExpired(batchSize?: number): Promise<number> {
    if (batchSize !== undefined) assertBatchSize(batchSize);
    let deleted = 0;
    for (const [id, entry] of this.entries) {
      if (this.isExpired(entry)) {
        this.entries.delete(id);
        deleted++;
      }
    }
    return deleted;
  }

  async inspect(
    scope: string,
    key: string,
    options: InspectKeyOptions = {},
  ): Promise<StoredKey | undefined> {
    const entry = this.entries.get(entryId({ scope, key }));
    if (entry === undefined) return undefined;
    const now = this.now();
    const stored: StoredKey = {
      scope,
      key,
      status: entry.status,
      fingerprint: entry.fingerprint,
      createdAt: new Date(entry.createdAt),
      ageSeconds: (now - entry.createdAt) / 1000,
      expiresAt: new Date(entry.expiresAt),
      stale: this.isStale(entry),
    };
    if (entry.status === 'in_progress') stored.lockedUntil = new Date(entry.lockedUntil);
    if (entry.response) {
      const { status, headers, body } = copy(entry.response);
      stored.response = { status, headers, bodyBytes: body && body.length };
      if (options.body) stored.response.body = body;
    }
    return stored;
  }

  async evict(scope: string, key: string, options: EvictKeyOptions = {}): Promise<Eviction> {
    const id = entryId({ scope, key });
    const entry = this.entries.get(id);
    if (entry === undefined) return { evicted: false, reason: 'not_found' };
    if (this.isLive(entry) && !options.force) return { evicted: false, reason: 'in_flight' };
    this.entries.delete(id);
    return { evicted: true, status: entry.status };
  }

  async stats(): Promise<IdempotencyStoreStats> {
    const now = this.now();
    const stats: IdempotencyStoreStats = {
      keys: { inProgress: 0, completed: 0 },
      estimated: false,
      oldestClaimSeconds: null,
      staleClaims: 0,
      expired: 0,
    };
    let oldestClaim = Infinity;
    for (const entry of this.entries.values()) {
      if (entry.status === 'completed') stats.keys.completed++;
      else stats.keys.inProgress++;
      if (this.isLive(entry)) oldestClaim = Math.min(oldestClaim, entry.createdAt);
      else if (entry.status === 'in_progress') stats.staleClaims++;
      if (this.isExpired(entry)) stats.expired++;
    }
    if (oldestClaim !== Infinity) stats.oldestClaimSeconds = (now - oldestClaim) / 1000;
    return stats;
  }

  private isStale(entry: Entry): boolean {
    const now = this.now();
    return entry.status === 'completed' ? entry.expiresAt <= now : entry.lockedUntil <= now;
  }

  /** A claim whose request still runs: its lock has not run out. */
  private isLive(entry: Entry): boolean {
    return entry.status === 'in_progress' && entry.lockedUntil > this.now();
  }

  /** What the purge deletes: past its expiry, and not a live claim. */
  private isExpired(entry: Entry): boolean {
    const now = this.now();
    return entry.expiresAt <= now && (entry.status === 'completed' || entry.lockedUntil <= now);
  }
}

// A database hands out new objects on every read: so does this store, so that neither the caller
// of complete() nor a replay's receiver can change what later replays get.
function copy(response: StoredResponse): StoredResponse {
  return {
    status: response.status,
    headers: { ...response.headers },
    body: response.body && Buffer.from(response.body),
  };
}

function entryId({ scope, key }: { scope: string; key: string }): string {
  return JSON.stringify([scope, key]);
}
