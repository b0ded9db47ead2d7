import pg from 'pg';
import type { BenchOptions } from './bench-options.js';
import { BenchAppProcess, type AppStats } from './support/app-process.js';
import { runLoad, type KeyPlan } from './support/http-load.js';
import { cpuBetween, cpuSnapshot } from './support/process-cpu.js';
import { SampleAppProcess } from './support/sample-app-process.js';
import { countsBetween, emptyCounts, type StatementCounts } from './support/query-counter.js';
import { median } from './support/stats.js';
import { nextTransactionId, walPosition } from './support/wal.js';

/**
 * A way of serving the same handler work (one INSERT in the bench app; one customer in the
 * sample app), measured under load.
 */
interface HttpCase {
  id: string;
  /** For the chart. */
  short: string;
  label: string;
  /** The bench app, or the sample app as `npm start` runs it. */
  app: 'bench' | 'sample';
  path: string;
  keys: (tag: string) => KeyPlan;
  experiment?: boolean;
}

/** The case each case's req/s is divided by, round by round: its app's route without a key. */
const BASELINE = { bench: 'plain', sample: 'sample_plain' } as const;

// The sample app's POST /customers, as a new user would load it: one bearer token (one tenant).
const SAMPLE_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer bench' };
const SAMPLE_BODY = JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' });

const REPLAY_KEY = 'replay-key';
const HELD_KEY = 'held-key';

const CASES: readonly HttpCase[] = [
  {
    id: 'plain',
    short: 'plain (no decorator)',
    label: 'plain route, no decorator',
    app: 'bench',
    path: '/plain',
    keys: () => ({ kind: 'none' }),
  },
  {
    id: 'first',
    short: 'first execution',
    label: '@Idempotent(), fresh key (first execution)',
    app: 'bench',
    path: '/idempotent',
    keys: fresh,
  },
  {
    id: 'replay',
    short: 'replay',
    label: '@Idempotent(), repeated key (replay)',
    app: 'bench',
    path: '/idempotent',
    keys: () => ({ kind: 'fixed', key: REPLAY_KEY }),
  },
  {
    id: 'in_flight',
    short: 'key in flight (409)',
    label: '@Idempotent(), key held in flight (409)',
    app: 'bench',
    path: '/held',
    keys: () => ({ kind: 'fixed', key: HELD_KEY }),
  },
  {
    id: 'first_tx',
    short: 'first execution, transactional',
    label: '@Idempotent({ transactional: true }), fresh key',
    app: 'bench',
    path: '/idempotent-tx',
    keys: fresh,
  },
  {
    id: 'exp_tx_named',
    short: 'experiment: transactional, completion named too',
    label: 'experiment: @Idempotent({ transactional: true }), completion named too, fresh key',
    app: 'bench',
    path: '/exp-tx-named',
    keys: fresh,
    experiment: true,
  },
  {
    id: 'sample_plain',
    short: 'sample app, no key',
    label: 'sample app: POST /customers, no key',
    app: 'sample',
    path: '/customers',
    keys: () => ({ kind: 'none' }),
  },
  {
    id: 'sample_first',
    short: 'sample app, fresh key (transactional)',
    label: 'sample app: POST /customers, fresh key (transactional mode)',
    app: 'sample',
    path: '/customers',
    keys: fresh,
  },
  {
    id: 'sample_replay',
    short: 'sample app, repeated key (replay)',
    label: 'sample app: POST /customers, repeated key (replay)',
    app: 'sample',
    path: '/customers',
    keys: () => ({ kind: 'fixed', key: REPLAY_KEY }),
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
  /** Counted in the bench app; the sample app has no counter. */
  statements: StatementCounts | null;
  walBytes: number;
  /** Transaction ids the server handed out: one per transaction that wrote, i.e. per commit. */
  commits: number;
}

/** One case at one connection count, over all its rounds. */
export interface HttpCaseResult {
  id: string;
  short: string;
  label: string;
  app: HttpCase['app'];
  experiment: boolean;
  connections: number;
  rounds: HttpRound[];
  requestsPerSecond: number;
  p50: number;
  p99: number;
  appCpuUsPerRequest: number;
  postgresCpuUsPerRequest: number | null;
  /** Statements per request by kind (all rounds' statements over all rounds' requests). */
  statementsPerRequest: StatementCounts | null;
  walBytesPerRequest: number;
  /** Write transactions (commits) per request, counted on the server: median over rounds. */
  commitsPerRequest: number;
  /** Median over rounds of this round's req/s over its app's route without a key, same round. */
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

/** An app under load: how to reach it and how to read what it did. */
interface Target {
  url: string;
  pid: number;
  /** The bench app's own counters; the sample app has none. */
  stats?: () => Promise<AppStats>;
  headers?: Record<string, string>;
  body?: string;
  /** The database it works in, to see when it is done. */
  database: string;
}

/** Part 1: the HTTP routes under autocannon, interleaved round by round. */
export async function runHttpBench(
  databaseUrl: string,
  sampleDatabaseUrl: string,
  options: BenchOptions['http'],
  log: (line: string) => void,
): Promise<HttpResults> {
  const app = await BenchAppProcess.start({ databaseUrl });
  let sample: SampleAppProcess | undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // the server going away is reported by the query that fails
  await client.connect();
  try {
    sample = await SampleAppProcess.start(sampleDatabaseUrl);
    const targets: Record<HttpCase['app'], Target> = {
      bench: {
        url: app.url,
        pid: app.pid,
        stats: () => app.settledStats(),
        database: new URL(databaseUrl).pathname.slice(1),
      },
      sample: {
        url: sample.url,
        pid: sample.pid,
        headers: SAMPLE_HEADERS,
        body: SAMPLE_BODY,
        database: new URL(sampleDatabaseUrl).pathname.slice(1),
      },
    };
    await prepareKeys(app.url);
    await prepareSampleKey(sample.url);
    const replayRowBefore = await rowVersion(client, REPLAY_KEY);

    const results: HttpCaseResult[] = [];
    for (const connections of options.connections) {
      log(`http: ${connections} connections, warming up`);
      const load = (c: HttpCase, seconds: number, tag: string) => {
        const target = targets[c.app];
        return runLoad({
          url: target.url,
          path: c.path,
          connections,
          seconds,
          keys: c.keys(tag),
          headers: target.headers,
          body: target.body,
        });
      };
      for (const c of CASES) await load(c, options.warmupSeconds, `warm-${c.id}-${connections}`);
      // The warm-up's tails must not land in the first round (a round only waits for its own app).
      for (const target of Object.values(targets)) await settle(target, client);
      const rounds = new Map<string, HttpRound[]>(CASES.map((c) => [c.id, []]));
      for (let round = 0; round < options.rounds; round++) {
        // Rotate the order every round, so no case always follows the same neighbour.
        const order = CASES.map((_, i) => CASES[(i + round) % CASES.length]);
        for (const c of order) {
          const figures = await measureRound(targets[c.app], connections, client, () =>
            load(c, options.seconds, `${c.id}-c${connections}-r${round}`),
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
      for (const c of CASES)
        results.push(summarize(c, connections, rounds.get(c.id)!, rounds.get(BASELINE[c.app])!));
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
    await sample?.stop();
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
  const first = await post('/idempotent', REPLAY_KEY);
  const again = await post('/idempotent', REPLAY_KEY);
  if (first.status !== 201 || again.headers.get('idempotent-replay') !== 'true') {
    throw new Error(`replay key not replayed: ${first.status}, then ${again.status}`);
  }
  // Answered only when the app shuts down.
  post('/held', HELD_KEY).catch(() => undefined);
  for (let attempt = 0; attempt < 100; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await post('/held', HELD_KEY)).status === 409) return;
  }
  throw new Error('the held key never answered 409');
}

async function prepareSampleKey(url: string): Promise<void> {
  const post = () =>
    fetch(`${url}/customers`, {
      method: 'POST',
      headers: { ...SAMPLE_HEADERS, 'idempotency-key': REPLAY_KEY },
      body: SAMPLE_BODY,
    });
  const first = await post();
  const again = await post();
  if (first.status !== 201 || again.headers.get('idempotent-replay') !== 'true') {
    throw new Error(`sample app: replay key not replayed: ${first.status}, then ${again.status}`);
  }
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
  target: Target,
  connections: number,
  client: pg.Client,
  load: () => ReturnType<typeof runLoad>,
): Promise<HttpRound> {
  const settled = async () => {
    await settle(target, client);
    return target.stats?.();
  };
  const before = await settled();
  const walBefore = await walPosition(client);
  const xidBefore = await nextTransactionId(client);
  const cpuBefore = cpuSnapshot();
  const result = await load();
  const after = await settled();
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(), [target.pid]);
  const xidAfter = await nextTransactionId(client);
  const walAfter = await walPosition(client);
  let served: number;
  let appCpuUs: number;
  let statements: StatementCounts | null = null;
  if (before && after) {
    served = after.handled - before.handled;
    appCpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    statements = countsBetween(before.statements, after.statements);
  } else {
    // No counter in the sample app: every response, and the request each connection still had
    // in flight when the load stopped (the app finishes it; settle() waited for that).
    served = result.total + connections;
    appCpuUs = (cpu?.appMs ?? Number.NaN) * 1000;
  }
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
    statements,
    walBytes: Number(walAfter - walBefore),
    commits: Number(xidAfter - xidBefore),
  };
}

/**
 * Waits until an app has finished what was in flight: none of its database's sessions busy,
 * and its process no longer using CPU (on a busy machine a process can wait 50 ms for a CPU
 * with requests still in hand, so neither alone is enough).
 */
async function settle(target: Target, client: pg.Client): Promise<void> {
  let last = cpuSnapshot()?.processes.get(target.pid)?.cpuMs;
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = cpuSnapshot()?.processes.get(target.pid)?.cpuMs;
    const { rows } = await client.query<{ busy: number }>(
      `SELECT count(*)::int AS busy FROM pg_stat_activity
        WHERE datname = $1 AND state <> 'idle' AND pid <> pg_backend_pid()`,
      [target.database],
    );
    if (now === last && rows[0].busy === 0) return;
    last = now;
  }
}

function summarize(
  c: HttpCase,
  connections: number,
  rounds: HttpRound[],
  baseline: HttpRound[],
): HttpCaseResult {
  const served = rounds.reduce((sum, r) => sum + r.served, 0);
  let statements: StatementCounts | null = null;
  if (rounds.every((r) => r.statements !== null)) {
    statements = emptyCounts();
    for (const round of rounds) {
      for (const kind of Object.keys(statements) as (keyof StatementCounts)[])
        statements[kind] += round.statements![kind];
    }
    for (const kind of Object.keys(statements) as (keyof StatementCounts)[])
      statements[kind] /= served;
  }
  const ratios = rounds.map((r, i) => r.requestsPerSecond / baseline[i].requestsPerSecond);
  const statuses: Record<string, number> = {};
  for (const round of rounds)
    for (const [status, n] of Object.entries(round.statuses))
      statuses[status] = (statuses[status] ?? 0) + n;
  const pgCpu = rounds.map((r) => r.postgresCpuUsPerRequest).filter((v): v is number => v !== null);
  return {
    id: c.id,
    short: c.short,
    label: c.label,
    app: c.app,
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
    // Counted server-wide: a round now and then also holds autovacuum's own transactions.
    commitsPerRequest: median(rounds.map((r) => r.commits / r.served)),
    ratioToPlain: median(ratios),
    ratioToPlainRange: [Math.min(...ratios), Math.max(...ratios)],
    statusSummary: Object.entries(statuses)
      .map(([status, n]) => `${status}×${n}`)
      .join(' '),
  };
}
