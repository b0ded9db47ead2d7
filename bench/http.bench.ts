import pg from 'pg';
import type { BenchOptions } from './bench-options.js';
import { BenchAppProcess, type AppStats } from './support/app-process.js';
import { runLoad, type KeyPlan } from './support/http-load.js';
import { cpuBetween, cpuSnapshot } from './support/process-cpu.js';
import { countsBetween, emptyCounts, type StatementCounts } from './support/query-counter.js';
import { median } from './support/stats.js';
import { walPosition } from './support/wal.js';

/** A way of serving the same handler work (one INSERT), measured under load. */
interface HttpCase {
  id: string;
  /** For the chart. */
  short: string;
  label: string;
  path: string;
  keys: (tag: string) => KeyPlan;
  experiment?: boolean;
}

const REPLAY_KEY = 'replay-key';
const HELD_KEY = 'held-key';

const CASES: readonly HttpCase[] = [
  {
    id: 'plain',
    short: 'plain (no decorator)',
    label: 'plain route, no decorator',
    path: '/plain',
    keys: () => ({ kind: 'none' }),
  },
  {
    id: 'first',
    short: 'first execution',
    label: '@Idempotent(), fresh key (first execution)',
    path: '/idempotent',
    keys: fresh,
  },
  {
    id: 'replay',
    short: 'replay',
    label: '@Idempotent(), repeated key (replay)',
    path: '/idempotent',
    keys: () => ({ kind: 'fixed', key: REPLAY_KEY }),
  },
  {
    id: 'in_flight',
    short: 'key in flight (409)',
    label: '@Idempotent(), key held in flight (409)',
    path: '/held',
    keys: () => ({ kind: 'fixed', key: HELD_KEY }),
  },
  {
    id: 'first_tx',
    short: 'first execution, transactional',
    label: '@Idempotent({ transactional: true }), fresh key',
    path: '/idempotent-tx',
    keys: fresh,
  },
  {
    id: 'cmp_unprepared',
    short: 'preparedStatements: false, first execution',
    label: 'comparison: library with preparedStatements: false, fresh key',
    path: '/unprepared',
    keys: fresh,
    experiment: true,
  },
  {
    id: 'cmp_unprepared_replay',
    short: 'preparedStatements: false, replay',
    label: 'comparison: library with preparedStatements: false, repeated key (replay)',
    path: '/unprepared',
    keys: () => ({ kind: 'fixed', key: REPLAY_KEY }),
    experiment: true,
  },
  {
    id: 'exp_one_commit',
    short: 'experiment: one transaction',
    label: 'experiment: claim + handler + complete in 1 transaction, fresh key',
    path: '/exp-one-commit',
    keys: fresh,
    experiment: true,
  },
];

function fresh(tag: string): KeyPlan {
  return { kind: 'fresh', prefix: tag };
}

/** One timed round of one case. */
export interface HttpRound {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Responses the client received / the server finished (the latter includes the tail in flight). */
  responses: number;
  served: number;
  statuses: Record<string, number>;
  appCpuUsPerRequest: number;
  postgresCpuUsPerRequest: number | null;
  /** Share of the machine's CPU used by processes outside this bench during the round. */
  otherCpuShare: number | null;
  statements: StatementCounts;
  walBytes: number;
}

/** One case at one connection count, over all its rounds. */
export interface HttpCaseResult {
  id: string;
  short: string;
  label: string;
  experiment: boolean;
  connections: number;
  rounds: HttpRound[];
  requestsPerSecond: number;
  p50: number;
  p99: number;
  appCpuUsPerRequest: number;
  postgresCpuUsPerRequest: number | null;
  /** Statements per request by kind (all rounds' statements over all rounds' requests). */
  statementsPerRequest: StatementCounts;
  walBytesPerRequest: number;
  /** Median over rounds of this round's req/s over the plain route's in the same round. */
  ratioToPlain: number;
  ratioToPlainRange: [number, number];
  statusSummary: string;
}

export interface HttpResults {
  cases: HttpCaseResult[];
  /** The replayed rows' xmin and ctid before and after every replay round: unchanged means no write. */
  replayRow: { before: string; after: string; unchanged: boolean };
  otherCpuShare: number | null;
}

/** Part 1: the HTTP routes under autocannon, interleaved round by round. */
export async function runHttpBench(
  databaseUrl: string,
  options: BenchOptions['http'],
  log: (line: string) => void,
): Promise<HttpResults> {
  const app = await BenchAppProcess.start({ databaseUrl });
  const appPids = [app.pid];
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // the server going away is reported by the query that fails
  await client.connect();
  try {
    await prepareKeys(app.url);
    const replayRowBefore = await rowVersion(client, REPLAY_KEY);

    const results: HttpCaseResult[] = [];
    for (const connections of options.connections) {
      log(`http: ${connections} connections, warming up`);
      for (const c of CASES) {
        await runLoad({
          url: app.url,
          path: c.path,
          connections,
          seconds: options.warmupSeconds,
          keys: c.keys(`warm-${c.id}-${connections}`),
        });
      }
      const rounds = new Map<string, HttpRound[]>(CASES.map((c) => [c.id, []]));
      for (let round = 0; round < options.rounds; round++) {
        // Rotate the order every round, so no case always follows the same neighbour.
        const order = CASES.map((_, i) => CASES[(i + round) % CASES.length]);
        for (const c of order) {
          const figures = await measureRound(app, appPids, client, () =>
            runLoad({
              url: app.url,
              path: c.path,
              connections,
              seconds: options.seconds,
              keys: c.keys(`${c.id}-c${connections}-r${round}`),
            }),
          );
          rounds.get(c.id)!.push(figures);
        }
        log(
          `http: ${connections} connections, round ${round + 1}/${options.rounds}: ` +
            CASES.map(
              (c) => `${c.id} ${rounds.get(c.id)!.at(-1)!.requestsPerSecond.toFixed(0)}/s`,
            ).join(', '),
        );
      }
      const plainRounds = rounds.get('plain')!;
      for (const c of CASES)
        results.push(summarize(c, connections, rounds.get(c.id)!, plainRounds));
    }

    const replayRowAfter = await rowVersion(client, REPLAY_KEY);
    const shares = results
      .flatMap((r) => r.rounds.map((round) => round.otherCpuShare))
      .filter((s): s is number => s !== null);
    return {
      cases: results,
      replayRow: {
        before: replayRowBefore,
        after: replayRowAfter,
        unchanged: replayRowBefore === replayRowAfter,
      },
      otherCpuShare: shares.length ? median(shares) : null,
    };
  } finally {
    await client.end();
    await app.stop();
  }
}

/** The replay key is completed once; the held key's first request never finishes during the run. */
async function prepareKeys(url: string): Promise<void> {
  const post = (path: string, key: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ name: 'bench' }),
    });
  for (const path of ['/idempotent', '/unprepared']) {
    const first = await post(path, REPLAY_KEY);
    const again = await post(path, REPLAY_KEY);
    if (first.status !== 201 || again.headers.get('idempotent-replay') !== 'true') {
      throw new Error(`${path}: replay key not replayed: ${first.status}, then ${again.status}`);
    }
  }
  // Answered only when the app shuts down.
  post('/held', HELD_KEY).catch(() => undefined);
  for (let attempt = 0; attempt < 100; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await post('/held', HELD_KEY)).status === 409) return;
  }
  throw new Error('the held key never answered 409');
}

async function rowVersion(client: pg.Client, key: string): Promise<string> {
  // Every row with the key (one per route that replays it): xmin and ctid change on any write.
  const { rows } = await client.query<{ v: string | null }>(
    `SELECT string_agg(scope || ' ' || xmin::text || ' ' || ctid::text, ', ' ORDER BY scope) AS v
       FROM idempotency_keys WHERE key = $1`,
    [key],
  );
  return rows[0]?.v ?? 'missing';
}

async function measureRound(
  app: BenchAppProcess,
  appPids: readonly number[],
  client: pg.Client,
  load: () => ReturnType<typeof runLoad>,
): Promise<HttpRound> {
  const before: AppStats = await app.settledStats();
  const walBefore = await walPosition(client);
  const cpuBefore = cpuSnapshot();
  const result = await load();
  const after = await app.settledStats();
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(), appPids);
  const walAfter = await walPosition(client);
  const served = after.handled - before.handled;
  const appCpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  return {
    requestsPerSecond: result.requestsPerSecond,
    p50: result.latency.p50,
    p99: result.latency.p99,
    responses: result.requests,
    served,
    statuses: result.statuses,
    appCpuUsPerRequest: appCpuUs / served,
    postgresCpuUsPerRequest: cpu ? (cpu.postgresMs * 1000) / served : null,
    otherCpuShare: cpu ? cpu.otherShare : null,
    statements: countsBetween(before.statements, after.statements),
    walBytes: Number(walAfter - walBefore),
  };
}

function summarize(
  c: HttpCase,
  connections: number,
  rounds: HttpRound[],
  plain: HttpRound[],
): HttpCaseResult {
  const served = rounds.reduce((sum, r) => sum + r.served, 0);
  const statements = emptyCounts();
  for (const round of rounds) {
    for (const kind of Object.keys(statements) as (keyof StatementCounts)[])
      statements[kind] += round.statements[kind];
  }
  for (const kind of Object.keys(statements) as (keyof StatementCounts)[])
    statements[kind] /= served;
  const ratios = rounds.map((r, i) => r.requestsPerSecond / plain[i].requestsPerSecond);
  const statuses: Record<string, number> = {};
  for (const round of rounds)
    for (const [status, n] of Object.entries(round.statuses))
      statuses[status] = (statuses[status] ?? 0) + n;
  const pgCpu = rounds.map((r) => r.postgresCpuUsPerRequest).filter((v): v is number => v !== null);
  return {
    id: c.id,
    short: c.short,
    label: c.label,
    experiment: c.experiment ?? false,
    connections,
    rounds,
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    appCpuUsPerRequest: median(rounds.map((r) => r.appCpuUsPerRequest)),
    postgresCpuUsPerRequest: pgCpu.length ? median(pgCpu) : null,
    statementsPerRequest: statements,
    walBytesPerRequest: rounds.reduce((sum, r) => sum + r.walBytes, 0) / served,
    ratioToPlain: median(ratios),
    ratioToPlainRange: [Math.min(...ratios), Math.max(...ratios)],
    statusSummary: Object.entries(statuses)
      .map(([status, n]) => `${status}×${n}`)
      .join(' '),
  };
}
