// Issue 11, "PostgreSQL restarts and failovers": the database restarted under 16 concurrent
// clients moving money through two sample-app processes. Both processes stay up, every
// operation is answered, money moves exactly once, and throughput is back within 5 s of the
// database. The server is this file's own: restarting the run's shared one would break the
// test files that run next to this one.
import { jest } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ShutdownMode } from '../../tools/embedded-postgres.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { AdjustmentTraffic, type AdjustmentOperation, type Attempt } from './adjustment-traffic.js';
import { RestartablePostgres, type RestartTimes } from '../support/restartable-postgres.js';

jest.setTimeout(120_000);

const CLIENTS = 16;
const USERS = 8;
/** How long the server stays down between its stop and its start. */
const DOWN_FOR_MS = 1000;
/** Traffic before the restart, and after the database is back. */
const BEFORE_MS = 2000;
const AFTER_MS = 6000;
/** The promise under test: service is back this soon after the database accepts connections. */
const RECOVERY_BUDGET_MS = 5000;
/** What a client may get while the database is away, besides its 201. */
const TRANSIENT =
  /^(503 (idempotency_store_unavailable|database_unavailable)|409 idempotency_key_in_use)$/;

let postgres: RestartablePostgres;
const apps: SampleApp[] = [];

beforeAll(async () => {
  postgres = await RestartablePostgres.create();
  // The first process runs the migrations alone; the second starts once the schema is there.
  apps.push(await startSampleApp({ databaseUrl: postgres.url }));
  apps.push(await startSampleApp({ databaseUrl: postgres.url }));
});

afterAll(async () => {
  await killAllSampleApps();
  await postgres?.close();
});

/** What the database holds for the tenant: adjustments per reason, and their sum per user. */
async function ledger(token: string) {
  const client = new pg.Client({ connectionString: postgres.url });
  client.on('error', () => undefined); // a failure shows in the queries
  await client.connect();
  try {
    const tenant = createHash('sha256').update(token).digest('hex');
    const reasons = await client.query<{ reason: string; n: number }>(
      'SELECT reason, count(*)::int AS n FROM adjustments WHERE tenant_id = $1 GROUP BY reason',
      [tenant],
    );
    const sums = await client.query<{ user_id: string; sum: string }>(
      'SELECT user_id, sum(delta) AS sum FROM adjustments WHERE tenant_id = $1 GROUP BY user_id',
      [tenant],
    );
    return {
      applied: new Map(reasons.rows.map((row) => [row.reason, row.n])),
      sums: new Map(sums.rows.map((row) => [row.user_id, Number(row.sum)])),
    };
  } finally {
    await client.end();
  }
}

/**
 * Users whose balance, read through the app, differs from the sum of their operations or from
 * the sum of the adjustments the database applied.
 */
async function balanceMismatches(
  token: string,
  operations: AdjustmentOperation[],
  sums: Map<string, number>,
) {
  const expected = new Map<string, number>();
  for (const op of operations) expected.set(op.userId, (expected.get(op.userId) ?? 0) + op.delta);
  const mismatches: { userId: string; expected: number; applied?: number; read: unknown }[] = [];
  for (const [userId, sum] of expected) {
    const response = await apps[0].request('GET', `/economy/balances/${userId}`, { token });
    if (response.json?.balance !== sum || sums.get(userId) !== sum)
      mismatches.push({ userId, expected: sum, applied: sums.get(userId), read: response.text });
  }
  return mismatches;
}

/**
 * Sends once more every operation the outage touched (more than one attempt) and a sample of
 * the others, 16 at a time: each must be the replay of its 201.
 */
async function divergentReplays(traffic: AdjustmentTraffic): Promise<string[]> {
  const retried = traffic.operations.filter((op) => op.attempts.length > 1);
  const sample = traffic.operations.filter((op, i) => op.attempts.length === 1 && i % 10 === 0);
  const operations = [...retried, ...sample];
  const divergent: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < operations.length) {
      const operation = operations[next++];
      const replay = await traffic.send(operation);
      if (
        replay.status !== 201 ||
        replay.headers['idempotent-replay'] !== 'true' ||
        !replay.body.equals(operation.answer!.body)
      )
        divergent.push(`${operation.key}: ${replay.status} ${replay.text}`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  return divergent;
}

/**
 * What the clients saw of the outage, timed from the moment the database accepted connections:
 * the first 201 after it, and the end of the last attempt that was not a 201 (from then on,
 * every attempt succeeds).
 */
function recovery(attempts: Attempt[], times: RestartTimes) {
  const after = attempts.filter((attempt) => attempt.sentAt >= times.upAt);
  const firstSuccess = Math.min(
    ...after.filter((a) => a.outcome.startsWith('201')).map((a) => a.doneAt),
  );
  const failures = after.filter((a) => !a.outcome.startsWith('201'));
  const lastFailure = Math.max(times.upAt, ...failures.map((a) => a.doneAt));
  const perSecond = (from: number, to: number) =>
    attempts.filter((a) => a.outcome.startsWith('201') && a.doneAt >= from && a.doneAt < to)
      .length /
    ((to - from) / 1000);
  return {
    firstSuccessMs: firstSuccess - times.upAt,
    steadyMs: lastFailure - times.upAt,
    before: perSecond(times.stoppedAt - BEFORE_MS, times.stoppedAt),
    after: perSecond(lastFailure, lastFailure + 2000),
  };
}

describe.each<ShutdownMode>(['immediate', 'fast'])(
  'PostgreSQL restarted (%s shutdown) while 16 clients move money through two app processes',
  (mode) => {
    const token = `restart-${mode}-${randomUUID()}`;
    const traffic = new AdjustmentTraffic(apps, token, {
      clients: CLIENTS,
      users: USERS,
      operationDeadlineMs: 60_000,
    });
    let times: RestartTimes;

    beforeAll(async () => {
      traffic.start();
      try {
        await new Promise((resolve) => setTimeout(resolve, BEFORE_MS));
        times = await postgres.restart(mode, DOWN_FOR_MS);
        await new Promise((resolve) => setTimeout(resolve, AFTER_MS));
      } finally {
        await traffic.stop();
      }
    });

    it('keeps both processes alive, with no unhandled error', () => {
      for (const app of apps) {
        expect({ alive: app.alive, output: app.alive ? '' : app.output() }).toEqual({
          alive: true,
          output: '',
        });
        expect(app.output()).not.toMatch(/Unhandled 'error' event|uncaught/i);
        // New connections prepare the store's named statements again; none is expected to exist.
        expect(app.output()).not.toMatch(/prepared statement/i);
      }
    });

    it('answers every operation 201 in the end, and every attempt before it 503 or 409', () => {
      const attempts = traffic.attempts();
      const counts: Record<string, number> = {};
      for (const attempt of attempts) counts[attempt.outcome] = (counts[attempt.outcome] ?? 0) + 1;
      const r = recovery(attempts, times);
      console.log(
        `database restart (${mode}): operations=${traffic.operations.length} attempts=${attempts.length} ` +
          `${JSON.stringify(counts)} down=${times.upAt - times.stoppedAt}ms ` +
          `first_201_after_up=${r.firstSuccessMs}ms steady_after_up=${r.steadyMs}ms ` +
          `201_per_s_before=${r.before.toFixed(0)} 201_per_s_after=${r.after.toFixed(0)}`,
      );
      expect(
        traffic.operations.filter((op) => op.answer?.status !== 201).map((op) => op.key),
      ).toEqual([]);
      const unexpected = attempts.filter(
        (a) => !a.outcome.startsWith('201') && !TRANSIENT.test(a.outcome),
      );
      expect(unexpected.map((a) => a.outcome)).toEqual([]);
      // The outage was seen: requests during it were refused, not queued until it ended.
      expect(attempts.some((a) => a.outcome.startsWith('503'))).toBe(true);
    });

    it('applies each operation exactly once, and the balances are exact', async () => {
      const { applied, sums } = await ledger(token);
      const notOnce = traffic.operations.filter((op) => applied.get(op.reason) !== 1);
      expect(notOnce.map((op) => `${op.key}: ${applied.get(op.reason) ?? 0}`)).toEqual([]);
      expect(await balanceMismatches(token, traffic.operations, sums)).toEqual([]);
      expect(await divergentReplays(traffic)).toEqual([]);
    });

    it(`is back to full service within ${RECOVERY_BUDGET_MS / 1000} s of the database`, () => {
      const r = recovery(traffic.attempts(), times);
      expect(r.firstSuccessMs).toBeLessThan(RECOVERY_BUDGET_MS);
      expect(r.steadyMs).toBeLessThan(RECOVERY_BUDGET_MS);
    });
  },
);
