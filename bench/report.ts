import type { GrowthResults } from './growth.bench.js';
import type { HttpCaseResult, HttpResults } from './http.bench.js';
import type { MemoryResults } from './memory.bench.js';
import type { StatementCounts } from './support/query-counter.js';
import type { StoreResults } from './store.bench.js';

/** Everything one run measured (written to bench/results/latest.json). */
export interface BenchResults {
  date: string;
  command: string;
  mode: 'full' | 'quick';
  machine: Record<string, string>;
  seconds: Record<string, number>;
  http?: HttpResults;
  store?: StoreResults;
  growth?: GrowthResults;
  memory?: MemoryResults;
}

/** A target and how this run did against it. */
export interface TargetCheck {
  /** 12: issue 12's targets; 5: issue 5's that passed before issue 12, and must still pass. */
  issue: 5 | 12;
  target: string;
  measured: string;
  pass: boolean;
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '-');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const x2 = (n: number) => `${f2(n)}x`;

/** A Markdown table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  const rule = `| ${headers.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Statements per request, by kind: "claim 1.00 + insert_row 1.00 + complete 1.00". */
function statements(counts: StatementCounts): string {
  const parts = (Object.keys(counts) as (keyof StatementCounts)[])
    .filter((kind) => kind !== 'total' && counts[kind] >= 0.005)
    .map((kind) => `${kind} ${f2(counts[kind])}`);
  return `${f2(counts.total)} (${parts.join(' + ')})`;
}

export function httpTables(http: HttpResults): string {
  const connections = [...new Set(http.cases.map((c) => c.connections))];
  const rounds = http.cases[0].rounds.length;
  const figures = (c: HttpCaseResult) => [
    f0(c.requestsPerSecond),
    `${x2(c.ratioToPlain)} (${f2(c.ratioToPlainRange[0])}-${f2(c.ratioToPlainRange[1])})`,
    f1(c.p50),
    f1(c.p99),
    f0(c.appCpuUsPerRequest),
    c.postgresCpuUsPerRequest === null ? '-' : f0(c.postgresCpuUsPerRequest),
  ];
  const bench = connections.map(
    (n) =>
      `HTTP, ${n} connections (median of ${rounds} interleaved rounds; ratio = median of per-round ratios, range in brackets)\n\n` +
      table(
        [
          'route',
          'req/s',
          'x plain',
          'p50 ms',
          'p99 ms',
          'app CPU us/req',
          'PG CPU us/req',
          'commits/req (server)',
          'statements/req',
          'WAL B/req',
          'statuses',
        ],
        http.cases
          .filter((c) => c.connections === n && c.app === 'bench')
          .map((c) => [
            c.label,
            ...figures(c),
            f2(c.commitsPerRequest),
            c.statementsPerRequest ? statements(c.statementsPerRequest) : '-',
            f0(c.walBytesPerRequest),
            c.statusSummary,
          ]),
      ),
  );
  const sample = http.cases.filter((c) => c.app === 'sample');
  if (sample.length === 0) return bench.join('\n\n');
  return [
    ...bench,
    `Sample app as \`npm start\` runs it (build/sample-app/main.js, its POST /customers with a bearer token: \`@Idempotent({ transactional: true })\`, one statement that numbers and inserts the customer), on the bench's PostgreSQL through DATABASE_URL, in the same interleaved rounds; ratio = x the same route without a key; requests per round counted by the client (responses, plus one in flight per connection), so the per-request figures are approximate\n\n` +
      table(
        [
          'connections',
          'route',
          'req/s',
          'x no key',
          'p50 ms',
          'p99 ms',
          'app CPU us/req',
          'PG CPU us/req',
          'commits/req (server)',
          'WAL B/req',
          'statuses',
        ],
        sample.map((c) => [
          c.connections,
          c.label.replace(/^sample app: /, ''),
          ...figures(c),
          f2(c.commitsPerRequest),
          f0(c.walBytesPerRequest),
          c.statusSummary,
        ]),
      ),
  ].join('\n\n');
}

export function storeTables(store: StoreResults): string {
  const comparison = table(
    [
      'operation',
      'concurrency',
      'library ops/s',
      'floor: raw pg ops/s',
      'library slowdown',
      'library p50 / p99 ms',
      'raw p50 / p99 ms',
      'statements/op library / raw',
      'WAL B/op library / raw',
      'library with preparedStatements: false, ops/s (x library)',
    ],
    store.comparisons.map((c) => [
      c.op === 'first' ? 'first execution: claim + complete' : 'replay: claim of a completed key',
      c.concurrency,
      f0(c.library.opsPerSecond),
      f0(c.raw.opsPerSecond),
      `${x2(c.slowdown)} (${f2(c.slowdownRange[0])}-${f2(c.slowdownRange[1])})`,
      `${f2(c.library.p50)} / ${f2(c.library.p99)}`,
      `${f2(c.raw.p50)} / ${f2(c.raw.p99)}`,
      `${f2(c.library.statementsPerOp.total)} / ${f2(c.raw.statementsPerOp.total)}`,
      `${f0(c.library.walBytesPerOp)} / ${f0(c.raw.walBytesPerOp)}`,
      `${f0(c.unprepared.opsPerSecond)} (${x2(c.unpreparedRatio)})`,
    ]),
  );
  const shapes = table(
    [
      'shape (raw pg)',
      'commits',
      'statements/op (counted)',
      'ops/s',
      'x INSERT',
      'p50 ms',
      'p99 ms',
      'WAL B/op',
    ],
    store.shapes.map((s) => [
      s.label,
      s.commits ?? '',
      f2(s.statementsPerOp.total),
      f0(s.opsPerSecond),
      `${x2(s.ratio!)} (${f2(s.ratioRange![0])}-${f2(s.ratioRange![1])})`,
      f2(s.p50),
      f2(s.p99),
      f0(s.walBytesPerOp),
    ]),
  );
  const concurrency = store.shapes[0]?.concurrency;
  return (
    `Store: the library's PostgresIdempotencyStore (defaults: named prepared statements) vs the floor, the same SQL and statement mode through a bare pg.Pool (pool of 10 each, own connections each; slowdown = raw ops/s / library ops/s, 1.00 = the floor)\n` +
    `SQL of the floor identical to the library's: claim ${store.sqlMatchesLibrary.claim}, complete ${store.sqlMatchesLibrary.complete}\n\n` +
    comparison +
    `\n\nWhat each commit costs: the handler's INSERT (unnamed, as TypeORM sends it) kept in each way, the library's statements named; raw pg, ${concurrency} concurrent (batched: ${f1(store.batchedItemsPerStatement)} ops per batched statement)\n\n` +
    shapes
  );
}

export function growthTables(growth: GrowthResults): string {
  const sizes = table(
    [
      'rows in table',
      'table + indexes',
      'fill s',
      'claim ops/s',
      'claim p50 ms',
      'claim p99 ms',
      'claim p99 x smallest',
      'replay p50 ms',
      'replay p99 ms',
      'replay p99 x smallest',
    ],
    growth.sizes.map((s) => [
      f0(s.rows),
      `${f0(s.tableBytes / 1024 / 1024)} MiB`,
      f1(s.fillSeconds),
      f0(s.claim.opsPerSecond),
      f2(s.claim.p50),
      f2(s.claim.p99),
      x2(s.claimP99Ratio),
      f2(s.replay.p50),
      f2(s.replay.p99),
      x2(s.replayP99Ratio),
    ]),
  );
  const p = growth.purge;
  const purge = table(
    ['purgeExpired()', 'value'],
    [
      ['table rows / expired rows', `${f0(p.tableRows)} / ${f0(p.expiredRows)}`],
      [
        'claims alongside (steady rate: a quarter of the saturated rate above)',
        `${f0(p.claimsPerSecond)}/s`,
      ],
      ['rows deleted', f0(p.deleted)],
      ['seconds', f1(p.seconds)],
      ['rows/s', f0(p.rowsPerSecond)],
      [
        'claim p50 / p99 ms just before (counted from when each claim was due)',
        `${f2(p.claimBefore.p50)} / ${f2(p.claimBefore.p99)}`,
      ],
      [
        'claim p50 / p99 ms during the purge',
        `${f2(p.claimDuring.p50)} / ${f2(p.claimDuring.p99)}`,
      ],
      ['claim p50 / p99 ms just after', `${f2(p.claimAfter.p50)} / ${f2(p.claimAfter.p99)}`],
      ['claim p99 during / mean(before, after)', x2(p.claimP99Ratio)],
      [
        'claims failed or skipped (before / during / after)',
        `${p.claimBefore.errors ?? 0} / ${p.claimDuring.errors ?? 0} / ${p.claimAfter.errors ?? 0}`,
      ],
      ...growth.smallerPurges.map((q) => [
        `for comparison: ${f0(q.deleted)} expired rows of a ${f0(q.tableRows)}-row table, no claims`,
        `${f0(q.rowsPerSecond)} rows/s (${f2(q.seconds)} s)`,
      ]),
    ],
  );
  return (
    `Growth: library store, ${growth.concurrency} concurrent; claims of fresh random keys (deleted after each round), replays of random filled keys; sizes interleaved\n\n` +
    sizes +
    `\n\nPurge on the largest table, claims arriving at a steady rate alongside\n\n` +
    purge
  );
}

export function memoryTable(memory: MemoryResults): string {
  const rows = [memory.baseline, ...memory.checkpoints].map((c) => [
    f0(c.requests),
    f1(c.rssMiB),
    f1(c.heapUsedMiB),
    f1(c.heapAfterGcMiB),
    f1(c.rssAfterGcMiB),
  ]);
  return (
    `Memory: ${f0(memory.requests)} first executions with distinct keys, ${memory.connections} connections, ${f0(memory.requestsPerSecond)} req/s (${Object.entries(
      memory.statuses,
    )
      .map(([s, n]) => `${s}x${n}`)
      .join(' ')})\n\n` +
    table(
      ['requests served', 'RSS MiB', 'heap used MiB', 'heap after GC MiB', 'RSS after GC MiB'],
      rows,
    )
  );
}

/**
 * Every target, measured: issue 12's, then those of issue 5 that passed before issue 12 (they
 * must still pass). Issue 5's missed throughput targets (first execution >= 0.80x, replay
 * >= 1.1x) and its transactional round-trip target are superseded by issue 12's.
 */
export function targetChecks(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const http = results.http;
  const byId = (id: string) => http?.cases.filter((c) => c.id === id) ?? [];
  const ratio = (id: string, label: string, target: number) => {
    for (const c of byId(id)) {
      checks.push({
        issue: 12,
        target: `${label} >= ${f2(target)}x plain req/s (${c.connections} conn.)`,
        measured: `${x2(c.ratioToPlain)} (rounds ${f2(c.ratioToPlainRange[0])}-${f2(c.ratioToPlainRange[1])})`,
        pass: c.ratioToPlain >= target,
      });
    }
  };
  ratio('first_tx', 'transactional first execution', 0.55);
  ratio('first', 'default first execution', 0.65);
  ratio('replay', 'replay', 1.3);
  const tx = byId('first_tx');
  if (tx.length) {
    const worst = Math.max(...tx.map((c) => c.commitsPerRequest));
    checks.push({
      issue: 12,
      target:
        'transactional mode: 1 commit per first execution (write transactions counted on the server)',
      measured: tx.map((c) => `${f2(c.commitsPerRequest)} (${c.connections} conn.)`).join(', '),
      pass: worst <= 1.005,
    });
  }
  const growth = results.growth;
  if (growth) {
    checks.push({
      issue: 12,
      target: 'claim p99 during a purge <= 2x the p99 around it',
      measured: `${x2(growth.purge.claimP99Ratio)} (${f2(growth.purge.claimDuring.p99)} ms vs ${f2(growth.purge.claimBefore.p99)} / ${f2(growth.purge.claimAfter.p99)} ms)`,
      pass: growth.purge.claimP99Ratio <= 2,
    });
  }
  if (http) {
    const outside = (c: HttpCaseResult) =>
      c.statementsPerRequest!.total - c.statementsPerRequest!.insert_row;
    const worst = Math.max(...byId('first').map(outside));
    checks.push({
      issue: 5,
      target: '<= 2 round trips outside the handler on a first execution (default mode)',
      measured: f2(worst),
      pass: worst <= 2.005,
    });
    const replay = byId('replay');
    const replayTrips = Math.max(...replay.map((c) => c.statementsPerRequest!.total));
    checks.push({
      issue: 5,
      target: '1 round trip on a replay',
      measured: f2(replayTrips),
      pass: replayTrips <= 1.005,
    });
    // A write needs a transaction id, so a replay that wrote would count a commit every time.
    // WAL is read server-wide: autovacuum's lands in some rounds (with its own 2-3 commits), and
    // a read may log hint bits (data checksums are on), so the quietest round's WAL is shown.
    const commits = Math.max(...replay.map((c) => c.commitsPerRequest));
    const wal = Math.max(
      ...replay.map((c) => Math.min(...c.rounds.map((round) => round.walBytes / round.served))),
    );
    checks.push({
      issue: 5,
      target:
        'no write on a replay (write transactions per replay ~ 0, counted on the server; replayed row version unchanged)',
      measured: `${f2(commits)} commits/replay; ${f2(wal)} WAL B/replay in the quietest round; row ${http.replayRow.unchanged ? 'unchanged' : `changed ${http.replayRow.before} -> ${http.replayRow.after}`}`,
      pass: commits < 0.001 && http.replayRow.unchanged,
    });
  }
  const store = results.store;
  if (store) {
    for (const c of store.comparisons) {
      checks.push({
        issue: 5,
        target: `library store within 1.15x of raw SQL: ${c.op}, ${c.concurrency} concurrent`,
        measured: x2(c.slowdown),
        pass: c.slowdown <= 1.15,
      });
    }
  }
  if (growth) {
    const largest = growth.sizes.at(-1)!;
    checks.push({
      issue: 5,
      target: `claim p99 at ${f0(largest.rows)} rows <= 1.5x claim p99 at ${f0(growth.sizes[0].rows)}`,
      measured: `${x2(largest.claimP99Ratio)} (${f2(largest.claim.p99)} vs ${f2(growth.sizes[0].claim.p99)} ms)`,
      pass: largest.claimP99Ratio <= 1.5,
    });
    checks.push({
      issue: 5,
      target: `purgeExpired() >= 50,000 rows/s (${f0(growth.purge.expiredRows)} expired rows)`,
      measured: `${f0(growth.purge.rowsPerSecond)} rows/s`,
      pass: growth.purge.rowsPerSecond >= 50_000,
    });
  }
  const memory = results.memory;
  if (memory) {
    checks.push({
      issue: 5,
      target: `RSS flat over ${f0(memory.requests)} distinct keys (end <= 1.10x first checkpoint)`,
      measured: `${x2(memory.rssGrowth)} (${f1(memory.checkpoints[0].rssMiB)} -> ${f1(memory.checkpoints.at(-1)!.rssMiB)} MiB; heap after GC ${memory.heapAfterGcGrowthMiB >= 0 ? '+' : ''}${f1(memory.heapAfterGcGrowthMiB)} MiB)`,
      pass: memory.rssGrowth <= 1.1,
    });
  }
  return checks;
}

export function targetsTable(checks: TargetCheck[]): string {
  return table(
    ['target', 'issue', 'measured', 'verdict'],
    checks.map((c) => [
      c.target,
      c.issue === 12 ? '12' : '5 (passed before: must still pass)',
      c.measured,
      c.pass ? 'pass' : 'MISS',
    ]),
  );
}
