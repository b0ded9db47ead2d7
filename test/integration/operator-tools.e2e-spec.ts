import type { ExecutionContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { IdempotencyService, PostgresIdempotencyStore, tenantScope } from '../../lib/index.js';
import { INSPECT_SQL, EVICT_SQL, STATS_SQL } from '../../lib/store/postgres-operator-sql.js';
import { calls } from '../support/calls.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { captureLogs } from '../support/log-capture.js';
import type { TestDatabase } from '../support/postgres.js';
import { useTestApps } from '../support/use-test-apps.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { waitForClaim } from '../support/wait-for-claim.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

function tenantOf(context: ExecutionContext): string | undefined {
  return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
    'x-tenant'
  ];
}

describe('operator tools on IdempotencyService', () => {
  const { db, apps } = useTestApps(({ url }) => ordersModule(url, { tenant: tenantOf }));
  const [app] = apps;
  const service = () => app.app.get(IdempotencyService);
  const scope = tenantScope('acme', 'POST /orders');

  function create(key: string, headers: Record<string, string> = {}) {
    return app
      .http()
      .post('/orders')
      .set({ 'Idempotency-Key': key, 'X-Tenant': 'acme', ...headers })
      .send({ item: 'book' });
  }

  describe("inspect(), with the route's scope from tenantScope()", () => {
    it('shows a completed key: status, fingerprint, age, expiry and response, not the body', async () => {
      const key = newKey();
      const sent = await create(key);
      const found = await service().inspect(scope, key);
      expect(found).toEqual({
        scope: 'acme|POST /orders',
        key,
        status: 'completed',
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        createdAt: expect.any(Date),
        ageSeconds: expect.any(Number),
        expiresAt: expect.any(Date),
        stale: false,
        response: {
          status: 201,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          bodyBytes: Buffer.byteLength(sent.text),
        },
      });
      expect(found!.expiresAt.getTime() - found!.createdAt.getTime()).toBe(86_400_000);
    });

    it('returns the body the client got only when asked', async () => {
      const key = newKey();
      const sent = await create(key);
      const found = await service().inspect(scope, key, { body: true });
      expect(found?.response?.body?.toString('utf8')).toBe(sent.text);
    });

    it("finds nothing under another tenant's scope", async () => {
      const key = newKey();
      await create(key);
      expect(await service().inspect(tenantScope('other', 'POST /orders'), key)).toBeUndefined();
    });
  });

  describe('evict()', () => {
    it('deletes a completed key: the retry runs the handler again', async () => {
      const key = newKey();
      await create(key);
      const logs = captureLogs();
      try {
        expect(await service().evict(scope, key)).toEqual({ evicted: true, status: 'completed' });
        expect(logs.lines).toEqual([
          {
            level: 'log',
            context: 'Idempotency',
            text: `Evicted idempotency key "${key}" of scope "acme|POST /orders" (was completed)`,
          },
        ]);
      } finally {
        logs.stop();
      }
      const retry = await create(key);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBeUndefined();
      expect(calls.of('create')).toBe(2);
    });

    it('with { force: true }, deletes a completed key as without, and logs no forcing', async () => {
      const key = newKey();
      await create(key);
      const logs = captureLogs();
      try {
        expect(await service().evict(scope, key, { force: true })).toEqual({
          evicted: true,
          status: 'completed',
        });
        expect(logs.lines.map(({ text }) => text)).toEqual([
          `Evicted idempotency key "${key}" of scope "acme|POST /orders" (was completed)`,
        ]);
      } finally {
        logs.stop();
      }
    });

    it('refuses a key whose request still runs; { force: true } deletes it', async () => {
      const key = newKey();
      const gate = gates.create(key);
      const first = create(key, { 'X-Gate': key }).then((response) => response);
      await waitForClaim(db, key);
      const logs = captureLogs();
      try {
        expect(await service().evict(scope, key)).toEqual({ evicted: false, reason: 'in_flight' });
        expect((await service().inspect(scope, key))?.status).toBe('in_progress');
        expect(await service().evict(scope, key, { force: true })).toEqual({
          evicted: true,
          status: 'in_progress',
        });
        // Only the forced eviction is logged, as forced: the audit trail of an operator's override.
        expect(logs.lines.map(({ text }) => text)).toEqual([
          `Evicted idempotency key "${key}" of scope "acme|POST /orders" (was in_progress, forced)`,
        ]);
      } finally {
        logs.stop();
      }
      gate.release();
      // The first request still gets its answer; its completion is refused, so nothing is stored.
      expect((await first).status).toBe(201);
      expect(await service().inspect(scope, key)).toBeUndefined();
    });
  });

  describe('stats()', () => {
    it('counts a running claim and ages it', async () => {
      const before = await service().stats();
      const key = newKey();
      const gate = gates.create(key);
      const first = create(key, { 'X-Gate': key }).then((response) => response);
      await waitForClaim(db, key);
      const during = await service().stats();
      gate.release();
      await first;
      expect(during.keys.inProgress).toBe(before.keys.inProgress + 1);
      expect(during.oldestClaimSeconds).toEqual(expect.any(Number));
      expect((await service().stats()).keys).toEqual({
        inProgress: before.keys.inProgress,
        completed: before.keys.completed + 1,
      });
    });
  });

  describe('under a global prefix', () => {
    it("stores the route's keys under the prefixed pattern", async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [ordersModule(db.url)],
      }).compile();
      const prefixed = moduleRef.createNestApplication({ logger: false });
      prefixed.setGlobalPrefix('api');
      await prefixed.init();
      try {
        const key = newKey();
        await request(prefixed.getHttpServer())
          .post('/api/orders')
          .set('Idempotency-Key', key)
          .send({});
        const found = await prefixed
          .get(IdempotencyService)
          .inspect(tenantScope(undefined, 'POST /api/orders'), key);
        expect(found?.status).toBe('completed');
      } finally {
        await prefixed.close();
      }
    });
  });
});

/**
 * 100,000 keys, as a day's traffic that the purge has not seen yet: 99,500 completed (a fifth
 * of them expired), 500 in flight (200 of them stale).
 */
async function fill(db: TestDatabase): Promise<void> {
  await db.query(`
    INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, response_status,
                                  response_headers, response_body, created_at, locked_until, expires_at)
    SELECT 'tenant-' || (i % 50) || '|POST /payments', 'key-' || i, 'completed', md5(i::text),
           gen_random_uuid(), 201, '{"content-type":"application/json"}',
           convert_to(repeat('{"id":"' || i || '","amount":1234}', 5), 'UTF8'),
           now() - make_interval(secs => i % 80000), now() - make_interval(secs => i % 80000),
           now() - make_interval(secs => i % 80000)
             + CASE WHEN i % 5 = 0 THEN interval '-1 hour' ELSE interval '24 hours' END
      FROM generate_series(1, 99500) i`);
  await db.query(`
    INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, created_at,
                                  locked_until, expires_at)
    SELECT 'tenant-' || (i % 50) || '|POST /payments', 'in-flight-' || i, 'in_progress',
           md5(i::text), gen_random_uuid(), now() - make_interval(secs => i % 20),
           now() + CASE WHEN i <= 300 THEN interval '10 seconds' ELSE interval '-1 hour' END,
           now() + interval '24 hours'
      FROM generate_series(1, 500) i`);
  await db.query('VACUUM ANALYZE idempotency_keys');
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** How a plan reads idempotency_keys: each scan and index it uses, and whether it ran. */
function scans(node: PlanNode): string[] {
  const index = node['Index Name'];
  const reads =
    node['Relation Name'] === 'idempotency_keys' || index?.startsWith('idempotency_keys');
  const own = reads
    ? [
        `${node['Node Type']}${index ? ` using ${index}` : ''}` +
          (node['Actual Loops'] === 0 ? ' (never executed)' : ''),
      ]
    : [];
  return [...own, ...(node.Plans ?? []).flatMap(scans)];
}

async function plan(db: TestDatabase, explain: string, sql: string, params: unknown[] = []) {
  const { rows } = await db.query(`EXPLAIN (${explain}, FORMAT JSON) ${sql}`, params);
  return scans(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
}

async function millis(fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

describe('the PostgreSQL operator statements at 100,000 keys', () => {
  let dataSource: DataSource | undefined;
  const db = useTestDatabase({ beforeDrop: async () => dataSource?.destroy() });

  beforeAll(async () => {
    await fill(db);
    dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
  }, 60_000);

  it('stats() reads indexes only, and estimates the completed count', async () => {
    const reads = await plan(db, 'ANALYZE', STATS_SQL);
    // The exact count's branch is planned but not run above 10,000 keys; its plan may vary.
    const executed = reads.filter((read) => !read.endsWith('(never executed)'));
    expect(executed.filter((read) => read.startsWith('Seq Scan'))).toEqual([]);
    // Index-only or bitmap scans, as the planner sees fit: the point is which indexes.
    expect(executed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ using idempotency_keys_expires_at_idx$/),
        expect.stringMatching(/ using idempotency_keys_in_progress_idx$/),
      ]),
    );
    const stats = await new PostgresIdempotencyStore(dataSource!).stats();
    expect(stats).toEqual({
      keys: { inProgress: 500, completed: expect.any(Number) },
      estimated: true,
      oldestClaimSeconds: expect.any(Number),
      staleClaims: 200,
      expired: 19_900,
    });
    // An estimate from PostgreSQL's cumulative statistics, which lag behind the writes (by how
    // much depends on when the writers' backends flushed them): a count, not a precise one.
    expect(stats.keys.completed).toBeGreaterThanOrEqual(0);
  });

  it('inspect() and evict() find the key by the primary key', async () => {
    expect(
      await plan(db, 'ANALYZE', INSPECT_SQL, ['tenant-1|POST /payments', 'key-1', true]),
    ).toEqual(['Index Scan using idempotency_keys_pkey']);
    expect(await plan(db, 'COSTS', EVICT_SQL, ['tenant-1|POST /payments', 'key-1', false])).toEqual(
      [
        'Index Scan using idempotency_keys_pkey', // the DELETE's
        'ModifyTable',
        'Index Scan using idempotency_keys_pkey', // the check's
      ],
    );
  });

  it('answers in a few milliseconds (printed, not asserted: the machine is shared)', async () => {
    const store = new PostgresIdempotencyStore(dataSource!);
    const stats = await millis(() => store.stats());
    const inspect = await millis(() => store.inspect('tenant-1|POST /payments', 'key-1'));
    const median = (times: number[]) => times[times.length >> 1].toFixed(1);
    process.stdout.write(
      `[operator] at 100,000 keys (19,900 expired): stats() median ${median(stats)} ms, ` +
        `max ${stats.at(-1)!.toFixed(1)} ms; inspect() median ${median(inspect)} ms\n`,
    );
  });
});
