import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { PostgresIdempotencyStore, type ClaimRequest, type StoredResponse } from '../lib/index.js';
import type { BenchOptions } from './bench-options.js';
import { BatchedClaims } from './experiments/batched-claims.js';
import { closedLoop, type LoopResult } from './support/closed-loop.js';
import {
  countsBetween,
  statementCounts,
  statementTexts,
  type StatementCounts,
} from './support/query-counter.js';
import { median } from './support/stats.js';
import {
  CLAIM_IN_TRANSACTION_SQL,
  CLAIM_SQL,
  COMPLETE_SQL,
  INSERT_ROW_SQL,
} from './support/store-sql.js';
import { walPosition } from './support/wal.js';

const POOL_SIZE = 10;
const SCOPE = '|POST /store-bench';
const REPLAY_KEYS = 1000;
const RESPONSE: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: Buffer.from(JSON.stringify({ id: 123456, name: 'bench' })),
};

/** One operation timed for some rounds. */
export interface OpResult {
  id: string;
  label: string;
  concurrency: number;
  rounds: OpRound[];
  opsPerSecond: number;
  p50: number;
  p99: number;
  /** Statements (round trips) per operation, counted by kind over all rounds. */
  statementsPerOp: StatementCounts;
  walBytesPerOp: number;
  /** Commits per operation, as the shape is written (a batch shares its commit). */
  commits?: string;
  /** Median over rounds of this op's ops/s over its baseline's in the same round. */
  ratio?: number;
  ratioRange?: [number, number];
}

export interface OpRound {
  opsPerSecond: number;
  p50: number;
  p99: number;
  ops: number;
  statements: StatementCounts;
  walBytes: number;
}

/** The library's store against the same SQL sent through a bare pg.Pool. */
export interface StoreComparison {
  op: 'first' | 'replay';
  concurrency: number;
  /** The library's store with its defaults (named prepared statements). */
  library: OpResult;
  /** The floor: the library's SQL, as named statements too, through a bare pg.Pool. */
  raw: OpResult;
  /** For comparison: the library's store with `preparedStatements: false` (unnamed statements). */
  unprepared: OpResult;
  /** Median over rounds of unprepared ops/s over library ops/s. */
  unpreparedRatio: number;
  /** Median over rounds of raw ops/s over library ops/s: how much slower the library is (1.00 = the floor). */
  slowdown: number;
  slowdownRange: [number, number];
}

export interface StoreResults {
  /** Whether the floor's SQL is byte for byte what the library sent. */
  sqlMatchesLibrary: { claim: boolean; complete: boolean };
  comparisons: StoreComparison[];
  /** Request shapes in raw SQL, ratios against the plain INSERT: what each commit costs. */
  shapes: OpResult[];
  /** Ops per statement the batching experiment reached. */
  batchedItemsPerStatement: number;
}

/** Part 2: claim + complete and replay, library store vs raw pg; and the commit decomposition. */
export async function runStoreBench(
  databaseUrl: string,
  options: BenchOptions['store'],
  log: (line: string) => void,
): Promise<StoreResults> {
  // Every way of sending the SQL gets its own connections: a session that holds CLAIM_SQL as a
  // named statement runs the same text unnamed measurably slower, which would skew the pairs.
  const dataSource = new DataSource({
    type: 'postgres',
    url: databaseUrl,
    extra: { max: POOL_SIZE },
  });
  const unpreparedDataSource = new DataSource({
    type: 'postgres',
    url: databaseUrl,
    extra: { max: POOL_SIZE },
  });
  await dataSource.initialize();
  await unpreparedDataSource.initialize();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const unnamedPool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const asyncPool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_SIZE,
    options: '-c synchronous_commit=off',
  });
  for (const idle of [pool, unnamedPool, asyncPool]) idle.on('error', () => undefined);
  const walClient = new pg.Client({ connectionString: databaseUrl });
  walClient.on('error', () => undefined); // the server going away is reported by the query that fails
  await walClient.connect();
  try {
    const library = new PostgresIdempotencyStore(dataSource);
    const unprepared = new PostgresIdempotencyStore(unpreparedDataSource, {
      preparedStatements: false,
    });
    const batched = new BatchedClaims(pool);
    let sequence = 0;
    const claimRequest = (key: string): ClaimRequest => ({
      scope: SCOPE,
      key,
      fingerprint: 'fingerprint-of-the-request',
      ttlSeconds: 86_400,
      lockTimeoutSeconds: 30,
    });
    const freshKey = () => `${randomUUID()}-${++sequence}`;
    const replayKey = () => `replay-${Math.floor(Math.random() * REPLAY_KEYS)}`;
    const claimParams = (key: string, token: string) => [
      SCOPE,
      key,
      'fingerprint-of-the-request',
      token,
      30,
      86_400,
    ];
    const completeParams = (key: string, token: string) => [
      SCOPE,
      key,
      token,
      RESPONSE.status,
      JSON.stringify(RESPONSE.headers),
      RESPONSE.body,
    ];

    // Seed the keys replays read, through the library, and check the floor sends its SQL.
    for (let i = 0; i < REPLAY_KEYS; i++) {
      const outcome = await library.claim(claimRequest(`replay-${i}`));
      if (outcome.state !== 'claimed') throw new Error(`replay key ${i}: ${outcome.state}`);
      await library.complete(outcome.claim, RESPONSE);
    }
    const sqlMatchesLibrary = {
      claim: statementTexts('claim').includes(CLAIM_SQL),
      complete: statementTexts('complete').includes(COMPLETE_SQL),
    };
    if (!sqlMatchesLibrary.claim || !sqlMatchesLibrary.complete) {
      log(
        "store: WARNING the library's store no longer sends the CLAIM_SQL/COMPLETE_SQL that the floor sends",
      );
    }

    // The floor sends what the library sends: named statements (`named: false` for the shapes
    // that show what unnamed ones cost).
    const claimOn = async (target: pg.Pool, key: string, token: string, named = true) => {
      const values = claimParams(key, token);
      const { rows } = await target.query<{ state: string }>(
        named ? { name: 'bench_claim', text: CLAIM_SQL, values } : { text: CLAIM_SQL, values },
      );
      return rows[0]?.state;
    };
    const completeOn = (
      target: pg.Pool | pg.PoolClient,
      key: string,
      token: string,
      named = true,
    ) => {
      const values = completeParams(key, token);
      return target.query(
        named
          ? { name: 'bench_complete', text: COMPLETE_SQL, values }
          : { text: COMPLETE_SQL, values },
      );
    };
    const ops = {
      libraryFirst: async () => {
        const outcome = await library.claim(claimRequest(freshKey()));
        if (outcome.state !== 'claimed') throw new Error(outcome.state);
        await library.complete(outcome.claim, RESPONSE);
      },
      rawFirst: async () => {
        const key = freshKey();
        const token = randomUUID();
        if ((await claimOn(pool, key, token)) !== 'claimed') throw new Error('not claimed');
        await completeOn(pool, key, token);
      },
      unpreparedFirst: async () => {
        const outcome = await unprepared.claim(claimRequest(freshKey()));
        if (outcome.state !== 'claimed') throw new Error(outcome.state);
        await unprepared.complete(outcome.claim, RESPONSE);
      },
      libraryReplay: async () => {
        const outcome = await library.claim(claimRequest(replayKey()));
        if (outcome.state !== 'completed') throw new Error(outcome.state);
      },
      rawReplay: async () => {
        if ((await claimOn(pool, replayKey(), randomUUID())) !== 'completed')
          throw new Error('not completed');
      },
      unpreparedReplay: async () => {
        const outcome = await unprepared.claim(claimRequest(replayKey()));
        if (outcome.state !== 'completed') throw new Error(outcome.state);
      },
    };

    const comparisons: StoreComparison[] = [];
    for (const concurrency of options.concurrency) {
      const pairs = [
        {
          op: 'first' as const,
          library: ops.libraryFirst,
          raw: ops.rawFirst,
          unprepared: ops.unpreparedFirst,
        },
        {
          op: 'replay' as const,
          library: ops.libraryReplay,
          raw: ops.rawReplay,
          unprepared: ops.unpreparedReplay,
        },
      ];
      const cases = pairs.flatMap((p) => [
        { id: `library_${p.op}`, label: `library store, ${p.op}`, run: p.library },
        { id: `raw_${p.op}`, label: `raw pg, same SQL and statement names, ${p.op}`, run: p.raw },
        {
          id: `unprepared_${p.op}`,
          label: `library store, preparedStatements: false, ${p.op}`,
          run: p.unprepared,
        },
      ]);
      await warmUp(
        cases.map((c) => c.run),
        concurrency,
        options.warmupSeconds,
      );
      const results = await interleave(
        cases,
        options.rounds,
        options.seconds,
        concurrency,
        walClient,
      );
      for (const p of pairs) {
        const lib = results.find((r) => r.id === `library_${p.op}`)!;
        const raw = results.find((r) => r.id === `raw_${p.op}`)!;
        const slow = results.find((r) => r.id === `unprepared_${p.op}`)!;
        const slowdowns = lib.rounds.map(
          (round, i) => raw.rounds[i].opsPerSecond / round.opsPerSecond,
        );
        comparisons.push({
          op: p.op,
          concurrency,
          library: lib,
          raw,
          unprepared: slow,
          unpreparedRatio: median(
            lib.rounds.map((round, i) => slow.rounds[i].opsPerSecond / round.opsPerSecond),
          ),
          slowdown: median(slowdowns),
          slowdownRange: [Math.min(...slowdowns), Math.max(...slowdowns)],
        });
      }
      log(
        `store: concurrency ${concurrency}: ` +
          comparisons
            .filter((c) => c.concurrency === concurrency)
            .map(
              (c) =>
                `${c.op} library ${c.library.opsPerSecond.toFixed(0)}/s raw ${c.raw.opsPerSecond.toFixed(0)}/s`,
            )
            .join(', '),
      );
    }

    // What each commit costs: the same handler INSERT (unnamed, as TypeORM sends it) kept in
    // each way; the library's statements named, as it sends them by default.
    // (A session that holds a statement named runs the same text sent unnamed slower, so the
    // shape that sends the claim unnamed runs on connections of its own.)
    const inTransaction = async (
      fn: (client: pg.PoolClient) => Promise<void>,
      on: pg.Pool = pool,
    ) => {
      const client = await on.connect();
      try {
        await client.query('BEGIN');
        await fn(client);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
    const insert = (target: pg.Pool | pg.PoolClient) => target.query(INSERT_ROW_SQL, ['bench']);
    const shapeCases = [
      { id: 'insert', label: 'INSERT (the plain handler)', commits: '1', run: () => insert(pool) },
      {
        id: 'claim_only',
        label: 'claim alone',
        commits: '1',
        run: () => claimOn(pool, freshKey(), randomUUID()),
      },
      {
        id: 'default_mode',
        label: 'claim; INSERT; complete (library default mode)',
        commits: '3',
        run: async () => {
          const key = freshKey();
          const token = randomUUID();
          await claimOn(pool, key, token);
          await insert(pool);
          await completeOn(pool, key, token);
        },
      },
      {
        id: 'default_mode_unnamed',
        label: 'the same, claim and complete unnamed (preparedStatements: false)',
        commits: '3',
        run: async () => {
          const key = freshKey();
          const token = randomUUID();
          await claimOn(unnamedPool, key, token, false);
          await insert(unnamedPool);
          await completeOn(unnamedPool, key, token, false);
        },
      },
      {
        id: 'transactional_mode',
        label:
          'BEGIN; claim (advisory lock); INSERT; complete; COMMIT (library transactional mode: claim named, complete unnamed)',
        commits: '1',
        run: () =>
          inTransaction(async (client) => {
            const key = freshKey();
            const token = randomUUID();
            await client.query({
              name: 'bench_claim_in_transaction',
              text: CLAIM_IN_TRANSACTION_SQL,
              values: claimParams(key, token),
            });
            await insert(client);
            await completeOn(client, key, token, false);
          }),
      },
      {
        id: 'transactional_mode_unnamed',
        label: 'the same, claim unnamed too (the library before 521707f)',
        commits: '1',
        run: () =>
          inTransaction(async (client) => {
            const key = freshKey();
            const token = randomUUID();
            await client.query({ text: CLAIM_IN_TRANSACTION_SQL, values: claimParams(key, token) });
            await insert(client);
            await completeOn(client, key, token, false);
          }, unnamedPool),
      },
      {
        id: 'transactional_mode_named',
        label: 'the same, complete named too (experiment)',
        commits: '1',
        run: () =>
          inTransaction(async (client) => {
            const key = freshKey();
            const token = randomUUID();
            await client.query({
              name: 'bench_claim_in_transaction',
              text: CLAIM_IN_TRANSACTION_SQL,
              values: claimParams(key, token),
            });
            await insert(client);
            await completeOn(client, key, token);
          }),
      },
      {
        id: 'async_claim',
        label: 'claim (synchronous_commit=off); INSERT; complete',
        commits: '2 + 1 not waited for',
        run: async () => {
          const key = freshKey();
          const token = randomUUID();
          await claimOn(asyncPool, key, token);
          await insert(pool);
          await completeOn(pool, key, token);
        },
      },
      {
        id: 'batched',
        label: 'batched claim; INSERT; batched complete (experiment)',
        commits: '1 + 2 shared per batch',
        run: async () => {
          const key = freshKey();
          const token = randomUUID();
          const state = await batched.claim({
            scope: SCOPE,
            key,
            fingerprint: 'fingerprint-of-the-request',
            token,
            lockSeconds: 30,
            ttlSeconds: 86_400,
          });
          if (state !== 'claimed') throw new Error(state);
          await insert(pool);
          await batched.complete({
            scope: SCOPE,
            key,
            token,
            status: 201,
            headers: JSON.stringify(RESPONSE.headers),
            body: RESPONSE.body!,
          });
        },
      },
      {
        id: 'replay',
        label: 'replay: claim of a completed key',
        commits: '0',
        run: () => claimOn(pool, replayKey(), randomUUID()),
      },
    ];
    await warmUp(
      shapeCases.map((c) => c.run),
      options.shapesConcurrency,
      options.warmupSeconds,
    );
    const shapes = await interleave(
      shapeCases,
      options.rounds,
      options.seconds,
      options.shapesConcurrency,
      walClient,
    );
    const insertShape = shapes.find((s) => s.id === 'insert')!;
    for (const shape of shapes) {
      const ratios = shape.rounds.map(
        (round, i) => round.opsPerSecond / insertShape.rounds[i].opsPerSecond,
      );
      shape.commits = shapeCases.find((c) => c.id === shape.id)!.commits;
      shape.ratio = median(ratios);
      shape.ratioRange = [Math.min(...ratios), Math.max(...ratios)];
    }
    log(
      `store: shapes at ${options.shapesConcurrency}: ` +
        shapes.map((s) => `${s.id} ${s.opsPerSecond.toFixed(0)}/s`).join(', '),
    );
    return {
      sqlMatchesLibrary,
      comparisons,
      shapes,
      batchedItemsPerStatement: batched.itemsPerBatch,
    };
  } finally {
    await walClient.end();
    await pool.end();
    await unnamedPool.end();
    await asyncPool.end();
    await unpreparedDataSource.destroy();
    await dataSource.destroy();
  }
}

async function warmUp(
  runs: (() => Promise<unknown>)[],
  concurrency: number,
  seconds: number,
): Promise<void> {
  for (const run of runs) await closedLoop(run, { concurrency, seconds });
}

/** Runs every case once per round, rotating the order each round. */
async function interleave(
  cases: { id: string; label: string; run: () => Promise<unknown> }[],
  rounds: number,
  seconds: number,
  concurrency: number,
  walClient: pg.Client,
): Promise<OpResult[]> {
  const byId = new Map<string, OpRound[]>(cases.map((c) => [c.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      const walBefore = await walPosition(walClient);
      const countsBefore = statementCounts();
      const result: LoopResult = await closedLoop(c.run, { concurrency, seconds });
      const statements = countsBetween(countsBefore, statementCounts());
      const walAfter = await walPosition(walClient);
      byId.get(c.id)!.push({
        opsPerSecond: result.opsPerSecond,
        p50: result.latency.p50,
        p99: result.latency.p99,
        ops: result.ops,
        statements,
        walBytes: Number(walAfter - walBefore),
      });
    }
  }
  return cases.map((c) => {
    const list = byId.get(c.id)!;
    const ops = list.reduce((sum, r) => sum + r.ops, 0);
    const statementsPerOp = { ...list[0].statements };
    for (const kind of Object.keys(statementsPerOp) as (keyof StatementCounts)[]) {
      statementsPerOp[kind] = list.reduce((sum, r) => sum + r.statements[kind], 0) / ops;
    }
    return {
      id: c.id,
      label: c.label,
      concurrency,
      rounds: list,
      opsPerSecond: median(list.map((r) => r.opsPerSecond)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      statementsPerOp,
      walBytesPerOp: list.reduce((sum, r) => sum + r.walBytes, 0) / ops,
    };
  });
}
