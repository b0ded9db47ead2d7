import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PostgresIdempotencyStore } from '../lib/index.js';
import type { BenchOptions } from './bench-options.js';
import type { BenchDatabase } from './support/bench-database.js';
import { closedLoop, pacedLoop, type LoopResult } from './support/closed-loop.js';
import { FILL_SCOPE, fillIdempotencyKeys } from './support/fill-idempotency-keys.js';
import { median } from './support/stats.js';

/** Claim and replay latency on one table size. */
export interface GrowthSize {
  rows: number;
  expiredRows: number;
  fillSeconds: number;
  tableBytes: number;
  claim: LatencyRounds;
  replay: LatencyRounds;
  /** Median over rounds of this size's claim p99 over the smallest size's, same round. */
  claimP99Ratio: number;
  replayP99Ratio: number;
}

export interface LatencyRounds {
  opsPerSecond: number;
  p50: number;
  p99: number;
  rounds: { opsPerSecond: number; p50: number; p99: number; errors?: number }[];
}

export interface PurgeResult {
  /** The steady claim rate kept up before, during and after the purge. */
  claimsPerSecond: number;
  tableRows: number;
  expiredRows: number;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  claimBefore: LatencyRounds['rounds'][number];
  claimDuring: LatencyRounds['rounds'][number];
  claimAfter: LatencyRounds['rounds'][number];
  /** Claim p99 during the purge over the mean of the p99s just before and just after it. */
  claimP99Ratio: number;
}

export interface GrowthResults {
  concurrency: number;
  sizes: GrowthSize[];
  purge: PurgeResult;
  /** purgeExpired() on the smaller tables, alone: how its rate depends on how much there is to purge. */
  smallerPurges: { tableRows: number; deleted: number; seconds: number; rowsPerSecond: number }[];
}

/** Part 3: claim and replay latency against table size, and purgeExpired() on the largest. */
export async function runGrowthBench(
  database: BenchDatabase,
  options: BenchOptions['growth'],
  log: (line: string) => void,
): Promise<GrowthResults> {
  const tables: {
    rows: number;
    expired: number;
    url: string;
    fillSeconds: number;
    dataSource: DataSource;
    store: PostgresIdempotencyStore;
  }[] = [];
  try {
    for (const rows of options.sizes) {
      const url = await database.createDatabase(`bench_growth_${rows}`);
      const expired = Math.round(rows * options.expiredShare);
      log(
        `growth: filling ${rows.toLocaleString('en')} rows (${expired.toLocaleString('en')} expired)`,
      );
      const fillSeconds = await fillIdempotencyKeys(url, rows, expired);
      log(`growth: ${rows.toLocaleString('en')} rows in ${fillSeconds.toFixed(1)} s`);
      const dataSource = new DataSource({
        type: 'postgres',
        url,
        extra: { max: options.concurrency },
      });
      await dataSource.initialize();
      tables.push({
        rows,
        expired,
        url,
        fillSeconds,
        dataSource,
        store: new PostgresIdempotencyStore(dataSource),
      });
    }

    const claimRounds = new Map<number, LoopResult[]>(tables.map((t) => [t.rows, []]));
    const replayRounds = new Map<number, LoopResult[]>(tables.map((t) => [t.rows, []]));
    for (const table of tables) {
      await claims(table.store, table.dataSource, options.concurrency, {
        seconds: options.warmupSeconds,
      });
      await replays(
        table.store,
        table.rows,
        table.expired,
        options.concurrency,
        options.warmupSeconds,
      );
    }
    for (let round = 0; round < options.rounds; round++) {
      const order = tables.map((_, i) => tables[(i + round) % tables.length]);
      for (const table of order)
        claimRounds.get(table.rows)!.push(
          await claims(table.store, table.dataSource, options.concurrency, {
            seconds: options.seconds,
          }),
        );
      for (const table of order)
        replayRounds
          .get(table.rows)!
          .push(
            await replays(
              table.store,
              table.rows,
              table.expired,
              options.concurrency,
              options.seconds,
            ),
          );
      log(
        `growth: round ${round + 1}/${options.rounds}: claim p99 ` +
          tables
            .map(
              (t) =>
                `${t.rows.toLocaleString('en')} rows ${claimRounds.get(t.rows)!.at(-1)!.latency.p99.toFixed(2)} ms`,
            )
            .join(', '),
      );
    }

    const smallest = tables[0].rows;
    const sizes: GrowthSize[] = [];
    for (const table of tables) {
      const [size] = (await table.dataSource.query(
        `SELECT pg_total_relation_size('idempotency_keys')::bigint AS bytes`,
      )) as { bytes: string }[];
      const ratio = (map: Map<number, LoopResult[]>) =>
        median(
          map.get(table.rows)!.map((r, i) => r.latency.p99 / map.get(smallest)![i].latency.p99),
        );
      sizes.push({
        rows: table.rows,
        expiredRows: table.expired,
        fillSeconds: table.fillSeconds,
        tableBytes: Number(size.bytes),
        claim: latencyRounds(claimRounds.get(table.rows)!),
        replay: latencyRounds(replayRounds.get(table.rows)!),
        claimP99Ratio: ratio(claimRounds),
        replayP99Ratio: ratio(replayRounds),
      });
    }

    // Purge the largest table's expired rows while claims keep arriving at a steady quarter of
    // the rate the saturating rounds reached (A B A). A saturating load would leave the purge
    // almost no CPU on a small machine, and a real service does not run at its limit.
    const largest = tables.at(-1)!;
    const claimRate = Math.max(50, Math.round(sizes.at(-1)!.claim.opsPerSecond / 4));
    const purgeDataSource = new DataSource({
      type: 'postgres',
      url: largest.url,
      extra: { max: 2 },
    });
    await purgeDataSource.initialize();
    try {
      const purgeStore = new PostgresIdempotencyStore(purgeDataSource);
      const before = await claims(
        largest.store,
        largest.dataSource,
        { ratePerSecond: claimRate },
        {
          seconds: options.seconds,
        },
      );
      log(
        `growth: purging ${largest.expired.toLocaleString('en')} expired rows, ${claimRate} claims/s alongside`,
      );
      const started = performance.now();
      const purge = purgeStore.purgeExpired();
      const during = await claims(
        largest.store,
        largest.dataSource,
        { ratePerSecond: claimRate },
        {
          until: purge,
        },
      );
      const deleted = await purge;
      const seconds = (performance.now() - started) / 1000;
      const after = await claims(
        largest.store,
        largest.dataSource,
        { ratePerSecond: claimRate },
        {
          seconds: options.seconds,
        },
      );
      const round = (r: LoopResult) => ({
        opsPerSecond: r.opsPerSecond,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors,
      });
      const smallerPurges: GrowthResults['smallerPurges'] = [];
      for (const table of tables.slice(0, -1)) {
        const t0 = performance.now();
        const count = await table.store.purgeExpired();
        const s = (performance.now() - t0) / 1000;
        smallerPurges.push({
          tableRows: table.rows,
          deleted: count,
          seconds: s,
          rowsPerSecond: count / s,
        });
      }
      return {
        concurrency: options.concurrency,
        sizes,
        smallerPurges,
        purge: {
          claimsPerSecond: claimRate,
          tableRows: largest.rows,
          expiredRows: largest.expired,
          deleted,
          seconds,
          rowsPerSecond: deleted / seconds,
          claimBefore: round(before),
          claimDuring: round(during),
          claimAfter: round(after),
          claimP99Ratio: during.latency.p99 / ((before.latency.p99 + after.latency.p99) / 2),
        },
      };
    } finally {
      await purgeDataSource.destroy();
    }
  } finally {
    for (const table of tables) await table.dataSource.destroy();
  }
}

/**
 * Claims fresh random keys through the library's store, then deletes them so the size holds.
 * `load` is either `concurrency` workers back to back (saturating: for latency against size)
 * or a steady `ratePerSecond` (for latency next to a purge, on a machine that is not saturated).
 */
async function claims(
  store: PostgresIdempotencyStore,
  dataSource: DataSource,
  load: number | { ratePerSecond: number },
  duration: { seconds?: number; until?: Promise<unknown> },
): Promise<LoopResult> {
  const keys: string[] = [];
  const claim = async () => {
    const key = randomUUID();
    const outcome = await store.claim({
      scope: FILL_SCOPE,
      key,
      fingerprint: 'f'.repeat(64),
      ttlSeconds: 86_400,
      lockTimeoutSeconds: 30,
    });
    if (outcome.state !== 'claimed') throw new Error(`fresh key not claimed: ${outcome.state}`);
    keys.push(key);
  };
  const result =
    typeof load === 'number'
      ? await closedLoop(claim, { concurrency: load, ...duration })
      : await pacedLoop(claim, { ratePerSecond: load.ratePerSecond, ...duration });
  await dataSource.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = ANY($2)', [
    FILL_SCOPE,
    keys,
  ]);
  return result;
}

/** Replays random keys the fill completed (never expired ones: claiming those would take them over). */
function replays(
  store: PostgresIdempotencyStore,
  rows: number,
  expired: number,
  concurrency: number,
  seconds: number,
): Promise<LoopResult> {
  return closedLoop(
    async () => {
      const n = expired + 1 + Math.floor(Math.random() * (rows - expired));
      const key = createHash('md5').update(String(n)).digest('hex');
      const outcome = await store.claim({
        scope: FILL_SCOPE,
        key,
        fingerprint: 'f'.repeat(64),
        ttlSeconds: 86_400,
        lockTimeoutSeconds: 30,
      });
      if (outcome.state !== 'completed')
        throw new Error(`filled key ${n} not completed: ${outcome.state}`);
    },
    { concurrency, seconds },
  );
}

function latencyRounds(results: LoopResult[]): LatencyRounds {
  return {
    opsPerSecond: median(results.map((r) => r.opsPerSecond)),
    p50: median(results.map((r) => r.latency.p50)),
    p99: median(results.map((r) => r.latency.p99)),
    rounds: results.map((r) => ({
      opsPerSecond: r.opsPerSecond,
      p50: r.latency.p50,
      p99: r.latency.p99,
    })),
  };
}
