import type {
  Claim,
  ClaimOutcome,
  ClaimRequest,
  IdempotencyStore,
  StoredResponse,
} from '../store/idempotency-store.js';
import type { IdempotencyStoreHarness } from './idempotency-store-harness.interface.js';
import type { TestApi } from './test-api.interface.js';

const TTL = 60;
const LOCK = 10;

const CREATED: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/octet-stream', location: '/things/1' },
  // Not UTF-8: a store that keeps the body as text would mangle these bytes.
  body: Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x22, 0x5c]),
};
const CORRECTED: StoredResponse = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from('{"corrected":true}'),
};

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    scope: 'POST /things',
    key: 'key-1',
    fingerprint: 'fp-1',
    ttlSeconds: TTL,
    lockTimeoutSeconds: LOCK,
    ...overrides,
  };
}

function completed(fingerprint: string, response: StoredResponse): ClaimOutcome {
  return { state: 'completed', fingerprint, response };
}

function inProgress(fingerprint: string): ClaimOutcome {
  return { state: 'in_progress', fingerprint };
}

/**
 * Registers the contract of `IdempotencyStore` as test cases against your store, the way keyv
 * ships its test suite to store authors: claims, replays, fencing by the claim token, take-overs,
 * expiry, `renew()`, concurrent claims, `purgeExpired()` and exact scopes and keys. Each case gets
 * a fresh store from `harness.create()`, and time passes through `harness.elapse()`, never by
 * sleeping. The operator tools are part of the contract: `inspect()`, `evict()`, `stats()` and
 * `checkHealth()`.
 *
 * Call it at the top level of a test file. It uses the runner's globals (Jest, or Vitest with
 * `globals: true`) unless you pass them as `api`.
 * @param name the name of the outer `describe`
 * @param harness creates stores and moves their time
 * @param api `describe`, `it`, `expect`, `beforeEach` and `afterAll` of your runner
 * @throws Error when there is no `api` and the runner's globals are missing
 * @example
 * import { describeIdempotencyStore } from 'nestjs-idempotency/testing';
 *
 * let now = Date.now();
 * describeIdempotencyStore('MyIdempotencyStore', {
 *   create: async () => {
 *     await db.reset(); // each case starts with no keys
 *     return new MyIdempotencyStore(db, { now: () => now });
 *   },
 *   elapse: (seconds) => {
 *     now += seconds * 1000;
 *   },
 *   close: () => db.close(), // after the last case
 * });
 */
export function describeIdempotencyStore(
  name: string,
  harness: IdempotencyStoreHarness,
  api: TestApi = globalTestApi(),
): void {
  const { describe, it, expect, beforeEach, afterAll } = api;

  describe(name, () => {
    let store: IdempotencyStore;

    beforeEach(async () => {
      store = await harness.create();
    });
    afterAll(async () => {
      await harness.close?.();
    });

    async function mustClaim(overrides: Partial<ClaimRequest> = {}): Promise<Claim> {
      const outcome = await store.claim(request(overrides));
      if (outcome.state !== 'claimed') throw new Error(`expected a claim, got ${outcome.state}`);
      return outcome.claim;
    }

    describe('claiming a new key', () => {
      it('claims it, with a claim naming its scope and key and holding a token', async () => {
        const outcome = await store.claim(request());
        expect(outcome.state).toBe('claimed');
        if (outcome.state !== 'claimed') return;
        expect({ ...outcome.claim, token: typeof outcome.claim.token }).toEqual({
          scope: 'POST /things',
          key: 'key-1',
          token: 'string',
        });
      });
    });

    describe('claiming a key in flight', () => {
      it("reports it in progress, with the first claim's fingerprint", async () => {
        await mustClaim();
        expect(await store.claim(request({ fingerprint: 'fp-2' }))).toEqual(inProgress('fp-1'));
      });

      it('changes nothing: the first claim still owns the key and completes it', async () => {
        const first = await mustClaim();
        await store.claim(request({ fingerprint: 'fp-2' }));
        expect(await store.complete(first, CREATED)).toBe(true);
        expect(await store.claim(request())).toEqual(completed('fp-1', CREATED));
      });
    });

    describe('replaying a completed key', () => {
      it('returns the stored status, headers and body bytes', async () => {
        await store.complete(await mustClaim(), CREATED);
        expect(await store.claim(request())).toEqual(completed('fp-1', CREATED));
      });

      it('returns an empty body as an empty body', async () => {
        const empty = { status: 204, headers: {}, body: Buffer.alloc(0) };
        await store.complete(await mustClaim(), empty);
        expect(await store.claim(request())).toEqual(completed('fp-1', empty));
      });

      it('returns a null body ("too large to store") as null', async () => {
        const tooLarge = { status: 201, headers: { location: '/things/2' }, body: null };
        await store.complete(await mustClaim(), tooLarge);
        expect(await store.claim(request())).toEqual(completed('fp-1', tooLarge));
      });

      it("returns the completing request's fingerprint, whatever the asker's", async () => {
        await store.complete(await mustClaim(), CREATED);
        expect(await store.claim(request({ fingerprint: 'fp-2' }))).toEqual(
          completed('fp-1', CREATED),
        );
      });

      // Fresh objects, so that a store which shares them cannot change the expectation too.
      const sent = (): StoredResponse => ({
        status: 201,
        headers: { location: '/things/1' },
        body: Buffer.from('sent'),
      });

      it('keeps a copy: changing the response after complete() changes no replay', async () => {
        const response = sent();
        await store.complete(await mustClaim(), response);
        response.headers.location = '/changed';
        response.body?.fill(0x21);
        expect(await store.claim(request())).toEqual(completed('fp-1', sent()));
      });

      it('hands each replay its own copy: changing one changes no later replay', async () => {
        await store.complete(await mustClaim(), sent());
        const replay = await store.claim(request());
        if (replay.state === 'completed') {
          replay.response.headers.location = '/changed';
          replay.response.body?.fill(0x21);
        }
        expect(await store.claim(request())).toEqual(completed('fp-1', sent()));
      });
    });

    describe('completing', () => {
      it('replaces the stored response when the same claim completes again', async () => {
        const claim = await mustClaim();
        await store.complete(claim, CREATED);
        expect(await store.complete(claim, CORRECTED)).toBe(true);
        expect(await store.claim(request())).toEqual(completed('fp-1', CORRECTED));
      });
    });

    describe('fencing by the claim token', () => {
      // Tokens are the store's own: a stale one is that of an earlier claim of the key.
      async function claimAfterAnEarlierOne(): Promise<{ claim: Claim; stale: Claim }> {
        const earlier = await mustClaim({ fingerprint: 'fp-0' });
        await store.release(earlier);
        const claim = await mustClaim();
        return { claim, stale: { ...claim, token: earlier.token } };
      }

      it('complete() with a stale token returns false and stores nothing', async () => {
        const { claim, stale } = await claimAfterAnEarlierOne();
        expect(await store.complete(stale, CREATED)).toBe(false);
        expect(await store.claim(request())).toEqual(inProgress('fp-1'));
        expect(await store.complete(claim, CORRECTED)).toBe(true);
      });

      it('release() with a stale token returns false and keeps the claim', async () => {
        const { claim, stale } = await claimAfterAnEarlierOne();
        expect(await store.release(stale)).toBe(false);
        expect(await store.claim(request())).toEqual(inProgress('fp-1'));
        expect(await store.complete(claim, CREATED)).toBe(true);
      });

      it('a claim of one scope can neither complete nor release the same key of another scope', async () => {
        const claim = await mustClaim();
        const elsewhere = { ...claim, scope: 'POST /other-things' };
        expect(await store.complete(elsewhere, CREATED)).toBe(false);
        expect(await store.release(elsewhere)).toBe(false);
        expect(await store.claim(request())).toEqual(inProgress('fp-1'));
        expect((await store.claim(request({ scope: 'POST /other-things' }))).state).toBe('claimed');
      });
    });

    describe('releasing', () => {
      it('forgets an in-flight claim, so the key is claimed again as new', async () => {
        expect(await store.release(await mustClaim())).toBe(true);
        expect((await store.claim(request({ fingerprint: 'fp-2' }))).state).toBe('claimed');
      });

      it('leaves nothing for the released claim to complete', async () => {
        const claim = await mustClaim();
        await store.release(claim);
        expect(await store.complete(claim, CREATED)).toBe(false);
        expect(await store.release(claim)).toBe(false);
        expect((await store.claim(request())).state).toBe('claimed');
      });

      it('returns false for a completed key, and keeps its response', async () => {
        const claim = await mustClaim();
        await store.complete(claim, CREATED);
        expect(await store.release(claim)).toBe(false);
        expect(await store.claim(request())).toEqual(completed('fp-1', CREATED));
      });
    });

    describe('taking over after the lock timeout', () => {
      it('claims an in-flight key older than its lock timeout, with a new token', async () => {
        const old = await mustClaim();
        await harness.elapse(LOCK + 1);
        const current = await mustClaim({ fingerprint: 'fp-2' });
        expect(current.token).not.toBe(old.token);
        expect(await store.claim(request())).toEqual(inProgress('fp-2'));
      });

      it('fences the old owner out: its complete() and release() return false and change nothing', async () => {
        const old = await mustClaim();
        await harness.elapse(LOCK + 1);
        const current = await mustClaim({ fingerprint: 'fp-2' });
        expect(await store.complete(old, CREATED)).toBe(false);
        expect(await store.release(old)).toBe(false);
        expect(await store.claim(request())).toEqual(inProgress('fp-2'));
        expect(await store.complete(current, CORRECTED)).toBe(true);
        expect(await store.claim(request())).toEqual(completed('fp-2', CORRECTED));
      });

      it('does not take over an in-flight key within its lock timeout, even past its ttl', async () => {
        await mustClaim({ ttlSeconds: 5, lockTimeoutSeconds: 30 });
        await harness.elapse(10);
        expect(await store.claim(request({ fingerprint: 'fp-2' }))).toEqual(inProgress('fp-1'));
      });

      it('does not take over a completed key within its ttl, even older than the lock timeout', async () => {
        await store.complete(await mustClaim(), CREATED);
        await harness.elapse(LOCK * 3);
        expect(await store.claim(request({ fingerprint: 'fp-2' }))).toEqual(
          completed('fp-1', CREATED),
        );
      });
    });

    describe('expiry', () => {
      it('claims a completed key past its ttl as new, and forgets its response', async () => {
        const old = await mustClaim();
        await store.complete(old, CREATED);
        await harness.elapse(TTL + 1);
        const current = await mustClaim({ fingerprint: 'fp-2' });
        expect(current.token).not.toBe(old.token);
        expect(await store.claim(request())).toEqual(inProgress('fp-2'));
        expect(await store.complete(old, CORRECTED)).toBe(false);
        expect(await store.release(current)).toBe(true);
        expect((await store.claim(request())).state).toBe('claimed');
      });
    });

    describe('renewing', () => {
      it('keeps a renewed claim from being taken over after its original lock timeout', async () => {
        const claim = await mustClaim();
        await harness.elapse(LOCK - 2);
        expect(await store.renew(claim, LOCK)).toBe(true);
        await harness.elapse(LOCK - 2);
        expect(await store.claim(request({ fingerprint: 'fp-2' }))).toEqual(inProgress('fp-1'));
        expect(await store.complete(claim, CREATED)).toBe(true);
      });

      it('extends the lock from the renewal: once that much has elapsed, the key is taken over', async () => {
        const claim = await mustClaim();
        await harness.elapse(LOCK - 2);
        await store.renew(claim, 20);
        await harness.elapse(21);
        expect((await store.claim(request({ fingerprint: 'fp-2' }))).state).toBe('claimed');
      });

      it('renews a claim whose lock lapsed while no one took it over', async () => {
        const claim = await mustClaim();
        await harness.elapse(LOCK + 1);
        expect(await store.renew(claim, LOCK)).toBe(true);
        expect(await store.claim(request({ fingerprint: 'fp-2' }))).toEqual(inProgress('fp-1'));
      });

      it("returns false after a take-over, and leaves the new owner's lock as it was", async () => {
        const old = await mustClaim();
        await harness.elapse(LOCK + 1);
        await mustClaim({ fingerprint: 'fp-2' });
        expect(await store.renew(old, LOCK * 10)).toBe(false);
        await harness.elapse(LOCK + 1);
        expect((await store.claim(request({ fingerprint: 'fp-3' }))).state).toBe('claimed');
      });

      it('returns false for a completed key, and keeps its response', async () => {
        const claim = await mustClaim();
        await store.complete(claim, CREATED);
        expect(await store.renew(claim, LOCK)).toBe(false);
        expect(await store.claim(request())).toEqual(completed('fp-1', CREATED));
      });

      it('returns false for a released claim, and does not bring the key back', async () => {
        const claim = await mustClaim();
        await store.release(claim);
        expect(await store.renew(claim, LOCK)).toBe(false);
        expect((await store.claim(request({ fingerprint: 'fp-2' }))).state).toBe('claimed');
      });
    });

    describe('concurrent claims', () => {
      const N = 20;

      async function claimAtOnce(): Promise<ClaimOutcome[]> {
        return Promise.all(
          Array.from({ length: N }, (_, i) => store.claim(request({ fingerprint: `fp-${i}` }))),
        );
      }

      it('of one new key: exactly one claims it, the others see it in progress', async () => {
        const outcomes = await claimAtOnce();
        const winner = outcomes.findIndex((outcome) => outcome.state === 'claimed');
        expect(outcomes.map((outcome) => outcome.state === 'claimed')).toEqual(
          outcomes.map((_, i) => i === winner),
        );
        const others = outcomes.filter((_, i) => i !== winner);
        expect(others).toEqual(others.map(() => inProgress(`fp-${winner}`)));
      });

      it('of one stale key: exactly one takes it over, the others see it in progress', async () => {
        await mustClaim({ fingerprint: 'fp-old' });
        await harness.elapse(LOCK + 1);
        const outcomes = await claimAtOnce();
        const winner = outcomes.findIndex((outcome) => outcome.state === 'claimed');
        expect(outcomes.map((outcome) => outcome.state === 'claimed')).toEqual(
          outcomes.map((_, i) => i === winner),
        );
        const others = outcomes.filter((_, i) => i !== winner);
        expect(others).toEqual(others.map(() => inProgress(`fp-${winner}`)));
      });
    });

    describe('purgeExpired()', () => {
      it('deletes completed keys past their ttl and in-flight keys past both ttl and lock, and returns how many', async () => {
        const short = { ttlSeconds: 5, lockTimeoutSeconds: 5 };
        await store.complete(await mustClaim({ ...short, key: 'completed-expired' }), CREATED);
        await mustClaim({ ...short, key: 'abandoned' });
        await mustClaim({ ttlSeconds: 60, lockTimeoutSeconds: 5, key: 'stale-within-ttl' });
        await harness.elapse(10);
        expect(await store.purgeExpired()).toBe(2);
        expect(await store.purgeExpired()).toBe(0);
      });

      it('keeps live claims and unexpired completed keys', async () => {
        await store.complete(
          await mustClaim({ ttlSeconds: 60, lockTimeoutSeconds: 5, key: 'completed-live' }),
          CREATED,
        );
        await mustClaim({ ttlSeconds: 5, lockTimeoutSeconds: 60, key: 'claim-past-ttl' });
        await harness.elapse(10);
        await mustClaim({ ttlSeconds: 5, lockTimeoutSeconds: 5, key: 'claim-new' });
        expect(await store.purgeExpired()).toBe(0);
        expect(await store.claim(request({ key: 'completed-live' }))).toEqual(
          completed('fp-1', CREATED),
        );
        expect(await store.claim(request({ key: 'claim-past-ttl' }))).toEqual(inProgress('fp-1'));
        expect(await store.claim(request({ key: 'claim-new' }))).toEqual(inProgress('fp-1'));
      });

      it('loops until every expired key is gone when the batch is smaller than their number', async () => {
        for (let i = 0; i < 7; i++) {
          await store.complete(await mustClaim({ key: `expired-${i}`, ttlSeconds: 5 }), CREATED);
        }
        await store.complete(await mustClaim({ key: 'live', ttlSeconds: 60 }), CREATED);
        await harness.elapse(10);
        expect(await store.purgeExpired(3)).toBe(7);
        expect(await store.purgeExpired(3)).toBe(0);
        expect(await store.claim(request({ key: 'live' }))).toEqual(completed('fp-1', CREATED));
      });

      it('takes 1, the smallest batch size', async () => {
        for (const key of ['expired-a', 'expired-b']) {
          await store.complete(await mustClaim({ key, ttlSeconds: 5 }), CREATED);
        }
        await harness.elapse(10);
        expect(await store.purgeExpired(1)).toBe(2);
      });

      it('refuses a batch size that is not a positive integer', async () => {
        for (const batchSize of [0, -1, 2.5]) {
          const error = await store.purgeExpired(batchSize).then(
            () => undefined,
            (reason: unknown) => reason,
          );
          expect(error instanceof RangeError).toBe(true);
          expect((error as Error).message.includes(`got ${batchSize}`)).toBe(true);
        }
      });
    });

    describe('scopes and keys', () => {
      it('keeps the same key in two scopes apart', async () => {
        const a = await mustClaim({ scope: 'tenant-a|POST /things', fingerprint: 'fp-a' });
        await mustClaim({ scope: 'tenant-b|POST /things', fingerprint: 'fp-b' });
        await store.complete(a, CREATED);
        expect(await store.claim(request({ scope: 'tenant-a|POST /things' }))).toEqual(
          completed('fp-a', CREATED),
        );
        expect(await store.claim(request({ scope: 'tenant-b|POST /things' }))).toEqual(
          inProgress('fp-b'),
        );
      });

      const apart: [what: string, a: Partial<ClaimRequest>, b: Partial<ClaimRequest>][] = [
        ['keys that differ in case', { key: 'Order-1' }, { key: 'order-1' }],
        ['keys that differ by a trailing space', { key: 'order-1' }, { key: 'order-1 ' }],
        ['scopes that differ in case', { scope: 'Tenant|POST /x' }, { scope: 'tenant|POST /x' }],
        [
          'unicode scopes that differ only in normalization',
          { scope: 'caf\u00e9|POST /x' },
          { scope: 'cafe\u0301|POST /x' },
        ],
        [
          'a scope and key split at another place',
          { scope: 'a', key: 'b|c' },
          { scope: 'a|b', key: 'c' },
        ],
      ];
      for (const [what, a, b] of apart) {
        it(`compares exactly: ${what} are two keys`, async () => {
          const first = await mustClaim({ ...a, fingerprint: 'fp-a' });
          const second = await mustClaim({ ...b, fingerprint: 'fp-b' });
          expect([first.scope, first.key, second.scope, second.key]).toEqual([
            request(a).scope,
            request(a).key,
            request(b).scope,
            request(b).key,
          ]);
          expect(await store.claim(request(a))).toEqual(inProgress('fp-a'));
          expect(await store.claim(request(b))).toEqual(inProgress('fp-b'));
        });
      }

      it('gives back a unicode scope as it was given', async () => {
        const scope = 'Zürich 租户 🚀|POST /things';
        const claim = await mustClaim({ scope });
        expect(claim.scope).toBe(scope);
        await store.complete(claim, CREATED);
        expect(await store.claim(request({ scope }))).toEqual(completed('fp-1', CREATED));
      });
    });

    /** Whether `seconds` lies in [from, from + 1): ages are measured a moment after the fact. */
    function about(seconds: number | null | undefined, from: number): boolean {
      return typeof seconds === 'number' && seconds >= from && seconds < from + 1;
    }

    describe('inspect()', () => {
      it('returns undefined for a key it does not hold', async () => {
        await mustClaim();
        expect(await store.inspect('POST /things', 'key-2')).toBe(undefined);
        expect(await store.inspect('POST /other-things', 'key-1')).toBe(undefined);
      });

      it('shows a claim in flight: status, fingerprint, age, lock and expiry, no response', async () => {
        await mustClaim();
        await harness.elapse(3);
        const found = await store.inspect('POST /things', 'key-1');
        expect(found === undefined).toBe(false);
        if (found === undefined) return;
        const { createdAt, lockedUntil, expiresAt, ageSeconds, ...rest } = found;
        expect(rest).toEqual({
          scope: 'POST /things',
          key: 'key-1',
          status: 'in_progress',
          fingerprint: 'fp-1',
          stale: false,
        });
        expect(about(ageSeconds, 3)).toBe(true);
        expect(expiresAt.getTime() - createdAt.getTime()).toBe(TTL * 1000);
        expect(lockedUntil && lockedUntil.getTime() - createdAt.getTime()).toBe(LOCK * 1000);
      });

      it("shows a completed key's response status, headers and body size, not its body", async () => {
        await store.complete(await mustClaim(), CREATED);
        const found = await store.inspect('POST /things', 'key-1');
        expect(found?.status).toBe('completed');
        expect(found?.lockedUntil).toBe(undefined);
        expect(found?.response).toEqual({
          status: 201,
          headers: CREATED.headers,
          bodyBytes: CREATED.body!.length,
        });
        expect(found?.response !== undefined && 'body' in found.response).toBe(false);
      });

      it('returns the body bytes only when asked', async () => {
        await store.complete(await mustClaim(), CREATED);
        const found = await store.inspect('POST /things', 'key-1', { body: true });
        expect(found?.response?.body).toEqual(CREATED.body);
      });

      it('shows a response too large to store with a null body size', async () => {
        const tooLarge = { status: 201, headers: {}, body: null };
        await store.complete(await mustClaim(), tooLarge);
        const found = await store.inspect('POST /things', 'key-1', { body: true });
        expect(found?.response).toEqual({ status: 201, headers: {}, bodyBytes: null, body: null });
      });

      it('reports a claim whose lock ran out, and a completed key past its ttl, as stale', async () => {
        await mustClaim({ key: 'lapsed' });
        await store.complete(await mustClaim({ key: 'done', ttlSeconds: LOCK * 2 }), CREATED);
        await harness.elapse(LOCK + 1);
        expect((await store.inspect('POST /things', 'lapsed'))?.stale).toBe(true);
        expect((await store.inspect('POST /things', 'done'))?.stale).toBe(false);
        await harness.elapse(LOCK);
        expect((await store.inspect('POST /things', 'done'))?.stale).toBe(true);
      });

      it('changes nothing: a stale claim it looked at can still be completed by its owner', async () => {
        const claim = await mustClaim();
        await harness.elapse(LOCK + 1);
        await store.inspect('POST /things', 'key-1', { body: true });
        expect(await store.complete(claim, CREATED)).toBe(true);
      });
    });

    describe('evict()', () => {
      it('reports a key it does not hold as not found', async () => {
        expect(await store.evict('POST /things', 'key-1')).toEqual({
          evicted: false,
          reason: 'not_found',
        });
      });

      it('deletes a completed key, so the next request with it runs as new', async () => {
        await store.complete(await mustClaim(), CREATED);
        expect(await store.evict('POST /things', 'key-1')).toEqual({
          evicted: true,
          status: 'completed',
        });
        expect((await store.claim(request({ fingerprint: 'fp-2' }))).state).toBe('claimed');
      });

      it('refuses a live claim, which keeps its key and completes it', async () => {
        const claim = await mustClaim();
        expect(await store.evict('POST /things', 'key-1')).toEqual({
          evicted: false,
          reason: 'in_flight',
        });
        expect(await store.complete(claim, CREATED)).toBe(true);
        expect(await store.claim(request())).toEqual(completed('fp-1', CREATED));
      });

      it("deletes a live claim with { force: true }: its owner's completion is then refused", async () => {
        const claim = await mustClaim();
        expect(await store.evict('POST /things', 'key-1', { force: true })).toEqual({
          evicted: true,
          status: 'in_progress',
        });
        expect(await store.complete(claim, CREATED)).toBe(false);
        expect((await store.claim(request({ fingerprint: 'fp-2' }))).state).toBe('claimed');
      });

      it('deletes a claim whose lock ran out without force: its process died', async () => {
        await mustClaim();
        await harness.elapse(LOCK + 1);
        expect(await store.evict('POST /things', 'key-1')).toEqual({
          evicted: true,
          status: 'in_progress',
        });
      });

      it('deletes only that key of that scope', async () => {
        await store.complete(await mustClaim(), CREATED);
        await store.complete(await mustClaim({ scope: 'POST /other-things' }), CREATED);
        await store.complete(await mustClaim({ key: 'key-2' }), CREATED);
        await store.evict('POST /things', 'key-1');
        expect(await store.claim(request({ scope: 'POST /other-things' }))).toEqual(
          completed('fp-1', CREATED),
        );
        expect(await store.claim(request({ key: 'key-2' }))).toEqual(completed('fp-1', CREATED));
      });
    });

    describe('stats()', () => {
      it('reports an empty store as such', async () => {
        expect(await store.stats()).toEqual({
          keys: { inProgress: 0, completed: 0 },
          estimated: false,
          oldestClaimSeconds: null,
          staleClaims: 0,
          expired: 0,
        });
      });

      it('counts keys by status, stale claims and expired keys, and ages the oldest live claim', async () => {
        await store.complete(await mustClaim({ key: 'completed' }), CREATED);
        await store.complete(await mustClaim({ key: 'completed-2' }), CREATED);
        await store.complete(await mustClaim({ key: 'expired', ttlSeconds: 5 }), CREATED);
        await mustClaim({ key: 'oldest-live', lockTimeoutSeconds: 30 });
        await mustClaim({ key: 'live-past-ttl', ttlSeconds: 5, lockTimeoutSeconds: 30 });
        await mustClaim({ key: 'stale', lockTimeoutSeconds: 5 });
        await mustClaim({ key: 'stale-expired', ttlSeconds: 5, lockTimeoutSeconds: 5 });
        await harness.elapse(10);
        await mustClaim({ key: 'new' });
        const { oldestClaimSeconds, ...counts } = await store.stats();
        expect(counts).toEqual({
          keys: { inProgress: 5, completed: 3 },
          estimated: false,
          // Completed keys are no claims: three of them, so a count that took them would differ.
          staleClaims: 2,
          expired: 2,
        });
        expect(about(oldestClaimSeconds, 10)).toBe(true);
      });

      it('counts as expired exactly what purgeExpired() deletes', async () => {
        await store.complete(await mustClaim({ key: 'a', ttlSeconds: 5 }), CREATED);
        await mustClaim({ key: 'b', ttlSeconds: 5, lockTimeoutSeconds: 5 });
        await mustClaim({ key: 'c', ttlSeconds: 5, lockTimeoutSeconds: 60 });
        await harness.elapse(10);
        const { expired } = await store.stats();
        expect(await store.purgeExpired()).toBe(expired);
        expect((await store.stats()).expired).toBe(0);
      });
    });

    describe('checkHealth()', () => {
      it('reports a working store healthy', async () => {
        expect((await store.checkHealth()).healthy).toBe(true);
      });
    });
  });
}

// Looked up when the suite is registered, not when this module loads, so importing the package
// never needs a test runner.
function globalTestApi(): TestApi {
  const globals = globalThis as unknown as Partial<TestApi>;
  for (const name of ['describe', 'it', 'expect', 'beforeEach', 'afterAll'] as const) {
    if (typeof globals[name] !== 'function') {
      throw new Error(
        `describeIdempotencyStore needs the test runner's "${name}": run it under Jest or Vitest with globals, or pass { describe, it, expect, beforeEach, afterAll } as its third argument.`,
      );
    }
  }
  return globals as TestApi;
}
