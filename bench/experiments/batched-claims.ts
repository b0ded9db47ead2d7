import type pg from 'pg';
import { CLAIM_SQL } from '../support/store-sql.js';

// Experiment, not the library: "group commit in the client" (statements named, as the
// library sends its own). Requests that arrive while a
// batch is on its way to PostgreSQL wait and go together in the next one: one statement and
// one commit for all of them. Under load the number of commits per request falls well below
// one per operation; at one client nothing changes.

/** A claim of a key not seen before, or `false` when the key exists (the caller then falls back). */
export interface BatchedClaim {
  scope: string;
  key: string;
  fingerprint: string;
  token: string;
  lockSeconds: number;
  ttlSeconds: number;
}

export interface BatchedCompletion {
  scope: string;
  key: string;
  token: string;
  status: number;
  headers: string;
  body: Buffer;
}

const BATCH_CLAIM_SQL = `
INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
SELECT scope, key, 'in_progress', fingerprint, token, now() + make_interval(secs => lock), now() + make_interval(secs => ttl)
  FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::float8[], $6::float8[])
       AS claim(scope, key, fingerprint, token, lock, ttl)
    ON CONFLICT (scope, key) DO NOTHING
RETURNING scope, key`;

const BATCH_COMPLETE_SQL = `
UPDATE idempotency_keys AS t
   SET status = 'completed', response_status = c.status, response_headers = c.headers, response_body = c.body
  FROM unnest($1::text[], $2::text[], $3::uuid[], $4::int[], $5::jsonb[], $6::bytea[])
       AS c(scope, key, token, status, headers, body)
 WHERE t.scope = c.scope AND t.key = c.key AND t.lock_token = c.token
RETURNING t.scope, t.key`;

/** Coalesces calls made while a batch is in flight into the next batch. */
class Batcher<T, R> {
  private queue: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = false;
  batches = 0;
  items = 0;

  constructor(private readonly send: (items: T[]) => Promise<R[]>) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    this.inFlight = true;
    const batch = this.queue;
    this.queue = [];
    this.batches++;
    this.items += batch.length;
    try {
      const results = await this.send(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.inFlight = false;
      void this.flush();
    }
  }
}

/** Batched claims and completions on one pool (see the note at the top of this file). */
export class BatchedClaims {
  private readonly claims: Batcher<BatchedClaim, boolean>;
  private readonly completions: Batcher<BatchedCompletion, boolean>;

  constructor(private readonly pool: pg.Pool) {
    this.claims = new Batcher(async (items) => {
      const { rows } = await pool.query<{ scope: string; key: string }>({
        name: 'bench_batch_claim',
        text: BATCH_CLAIM_SQL,
        values: [
          items.map((c) => c.scope),
          items.map((c) => c.key),
          items.map((c) => c.fingerprint),
          items.map((c) => c.token),
          items.map((c) => c.lockSeconds),
          items.map((c) => c.ttlSeconds),
        ],
      });
      const inserted = new Set(rows.map((r) => `${r.scope}\u0000${r.key}`));
      // A key twice in one batch is inserted once: only its first claimant owns it.
      return items.map((c) => inserted.delete(`${c.scope}\u0000${c.key}`));
    });
    this.completions = new Batcher(async (items) => {
      const { rows } = await pool.query<{ scope: string; key: string }>({
        name: 'bench_batch_complete',
        text: BATCH_COMPLETE_SQL,
        values: [
          items.map((c) => c.scope),
          items.map((c) => c.key),
          items.map((c) => c.token),
          items.map((c) => c.status),
          items.map((c) => c.headers),
          items.map((c) => c.body),
        ],
      });
      const updated = new Set(rows.map((r) => `${r.scope}\u0000${r.key}`));
      return items.map((c) => updated.has(`${c.scope}\u0000${c.key}`));
    });
  }

  /**
   * Claims a new key in the next batch. A key that exists is answered by the library's
   * one-row claim statement (the replay path stays one read-only round trip).
   */
  async claim(claim: BatchedClaim): Promise<'claimed' | string> {
    if (await this.claims.submit(claim)) return 'claimed';
    const { rows } = await this.pool.query<{ state: string }>({
      name: 'bench_claim',
      text: CLAIM_SQL,
      values: [
        claim.scope,
        claim.key,
        claim.fingerprint,
        claim.token,
        claim.lockSeconds,
        claim.ttlSeconds,
      ],
    });
    return rows[0]?.state ?? 'retry';
  }

  complete(completion: BatchedCompletion): Promise<boolean> {
    return this.completions.submit(completion);
  }

  /** Operations per statement so far, claims and completions together. */
  get itemsPerBatch(): number {
    const batches = this.claims.batches + this.completions.batches;
    return batches === 0 ? 0 : (this.claims.items + this.completions.items) / batches;
  }
}
