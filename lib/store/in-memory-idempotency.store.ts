import { randomUUID } from 'node:crypto';
import { assertBatchSize } from './assert-batch-size.js';
import {
  IdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from './idempotency-store.js';

interface Entry {
  status: 'in_progress' | 'completed';
  fingerprint: string;
  token: string;
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
    const now = this.now();
    let deleted = 0;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now && (entry.status === 'completed' || entry.lockedUntil <= now)) {
        this.entries.delete(id);
        deleted++;
      }
    }
    return deleted;
  }

  private isStale(entry: Entry): boolean {
    const now = this.now();
    return entry.status === 'completed' ? entry.expiresAt <= now : entry.lockedUntil <= now;
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
