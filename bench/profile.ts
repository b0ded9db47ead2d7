// `tsc -p tsconfig.bench.json && node build/bench/profile.js [seconds] [connections] [case,...]`: where the
// bench app spends its CPU, per route. Each case gets an app process of its own run with
// `node --cpu-prof`, warmed up, then loaded at a steady `connections` for `seconds`; only the
// samples taken during that load count. Prints Markdown; the .cpuprofile files stay in
// .bench-data/profiles/ (open them in Chrome DevTools).
import 'reflect-metadata';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './report.js';
import { BenchAppProcess } from './support/app-process.js';
import { benchDatabase, openBenchDatabase } from './support/bench-database.js';
import { runLoad, type KeyPlan } from './support/http-load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.argv[2] ?? 8);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const ONLY = process.argv[4]?.split(',');
const WARMUP_SECONDS = 2;
const TOP = 15;
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String']);

const CASES: { id: string; label: string; path: string; keys: (tag: string) => KeyPlan }[] = [
  { id: 'plain', label: 'plain route', path: '/plain', keys: () => ({ kind: 'none' }) },
  {
    id: 'first',
    label: '@Idempotent(), fresh key',
    path: '/idempotent',
    keys: (tag) => ({ kind: 'fresh', prefix: tag }),
  },
  {
    id: 'replay',
    label: '@Idempotent(), repeated key (replay)',
    path: '/idempotent',
    keys: () => ({ kind: 'fixed', key: 'replay-key' }),
  },
  {
    id: 'first_tx',
    label: '@Idempotent({ transactional: true }), fresh key',
    path: '/idempotent-tx',
    keys: (tag) => ({ kind: 'fresh', prefix: tag }),
  },
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code comes from: the library file, a package, node's own JavaScript... */
function origin(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    if (functionName === '(garbage collector)') return 'gc';
    // The socket writes of every response (and query): charged to no caller, or the library,
    // whose replay() and capture() call end(), would seem to pay for the response itself.
    if (SOCKET_WRITES.has(functionName)) return 'socket writes';
    return 'native';
  }
  const lib = /\/build\/lib\/(.+)\.js$/.exec(url);
  if (lib) return `library: ${lib[1]}`;
  if (url.includes('/build/bench/')) return 'bench app';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `package: ${pkg[1]}`;
  if (url.startsWith('node:')) return 'node';
  return 'other';
}

/** The owner a report groups by: the library, Nest, Express and its helpers, pg... */
function owner(origin: string): string {
  if (origin.startsWith('library: ')) return 'library';
  if (!origin.startsWith('package: ')) return origin;
  const name = origin.slice('package: '.length);
  if (name.startsWith('@nestjs/')) return 'Nest';
  if (name === 'nestjs-cls' || name.startsWith('@nestjs-cls/')) return 'nestjs-cls';
  if (name === 'pg' || name.startsWith('pg-') || name.startsWith('postgres-')) return 'pg';
  if (name === 'typeorm' || name === 'rxjs') return name;
  return 'Express and other packages';
}

/** Of a profile's samples between `from` and `to` (µs, monotonic clock): where the time went. */
function analyse(profile: CpuProfile, from: number, to: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let time = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    if (time < from || time > to) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + delta);
    total += delta;
  }
  const selfByFrame = new Map<string, { us: number; origin: string }>();
  const selfByOwner = new Map<string, number>();
  // Node's own JavaScript and native code, charged to the nearest caller that is not: the
  // library's createHash() or setTimeout() counts as the library's.
  const chargedByOwner = new Map<string, number>();
  const chargedByLibraryFile = new Map<string, number>();
  const chargedByLibraryFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const o = origin(node.callFrame);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${o.replace(/^\w+: /, '')}:${node.callFrame.lineNumber + 1}`;
    const entry = selfByFrame.get(name) ?? { us: 0, origin: o };
    entry.us += us;
    selfByFrame.set(name, entry);
    selfByOwner.set(owner(o), (selfByOwner.get(owner(o)) ?? 0) + us);
    let charged = o;
    let chargedFrame = node.callFrame;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const candidate = origin(byId.get(at)!.callFrame);
      if (candidate !== 'node' && candidate !== 'native') {
        charged = candidate;
        chargedFrame = byId.get(at)!.callFrame;
        break;
      }
    }
    chargedByOwner.set(owner(charged), (chargedByOwner.get(owner(charged)) ?? 0) + us);
    if (charged.startsWith('library: ')) {
      const file = charged.slice('library: '.length);
      chargedByLibraryFile.set(file, (chargedByLibraryFile.get(file) ?? 0) + us);
      const fn = `${chargedFrame.functionName || '(anonymous)'} ${file}:${chargedFrame.lineNumber + 1}`;
      chargedByLibraryFunction.set(fn, (chargedByLibraryFunction.get(fn) ?? 0) + us);
    }
  }
  return {
    total,
    selfByFrame,
    selfByOwner,
    chargedByOwner,
    chargedByLibraryFile,
    chargedByLibraryFunction,
  };
}

const profilesDir = join(ROOT, '.bench-data', 'profiles');
rmSync(profilesDir, { recursive: true, force: true });
mkdirSync(profilesDir, { recursive: true });
const log = (line: string) => process.stderr.write(`[profile] ${line}\n`);
const database = await openBenchDatabase(join(ROOT, '.bench-data'), log);
const out: string[] = [
  `# CPU profile of the bench app: ${new Date().toISOString()}`,
  `${CONNECTIONS} connections, ${SECONDS} s per case after ${WARMUP_SECONDS} s of warm-up; load average at start: ${os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
];
try {
  const url = await benchDatabase(database, 'bench_profile');
  for (const c of CASES.filter(({ id }) => ONLY?.includes(id) ?? true)) {
    const dir = join(profilesDir, c.id);
    const app = await BenchAppProcess.start({
      databaseUrl: url,
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    let requests = 0;
    let cpuUs = 0;
    let from = 0;
    let to = 0;
    try {
      const post = () =>
        fetch(`${app.url}/idempotent`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'replay-key' },
          body: JSON.stringify({ name: 'bench' }),
        });
      await post();
      await runLoad({
        url: app.url,
        path: c.path,
        connections: CONNECTIONS,
        seconds: WARMUP_SECONDS,
        keys: c.keys(`warm-${c.id}`),
      });
      const before = await app.settledStats();
      from = Number(process.hrtime.bigint() / 1000n);
      const result = await runLoad({
        url: app.url,
        path: c.path,
        connections: CONNECTIONS,
        seconds: SECONDS,
        keys: c.keys(c.id),
      });
      to = Number(process.hrtime.bigint() / 1000n);
      const after = await app.settledStats();
      requests = after.handled - before.handled;
      cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
      log(
        `${c.id}: ${result.requestsPerSecond.toFixed(0)} req/s, statuses ${JSON.stringify(result.statuses)}`,
      );
    } finally {
      await app.stop();
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const a = analyse(profile, from, to);
    // Samples are taken on the wall clock, also while the process waits for a CPU (a busy
    // machine): shares of the busy samples are what they say; microseconds come from the
    // process's own CPU time, shared out by those shares.
    const busy = a.total - (a.selfByOwner.get('(idle)') ?? 0);
    const cpuPerRequest = cpuUs / requests;
    const perRequest = (us: number) => ((us / busy) * cpuPerRequest).toFixed(1);
    const owners = [...new Set([...a.selfByOwner.keys(), ...a.chargedByOwner.keys()])]
      .filter((o) => o !== '(idle)')
      .sort((x, y) => (a.chargedByOwner.get(y) ?? 0) - (a.chargedByOwner.get(x) ?? 0));
    out.push(
      `## ${c.label} (${c.path})`,
      `${requests} requests in the window; app CPU ${cpuPerRequest.toFixed(0)} us per request (process.cpuUsage); ${(a.total / 1e6).toFixed(2)} s of samples, ${(busy / 1e6).toFixed(2)} s of them busy, shared out below`,
      table(
        ['owner', 'self us/req', 'self share', 'with node/native work it called, us/req', 'share'],
        owners.map((o) => [
          o,
          perRequest(a.selfByOwner.get(o) ?? 0),
          `${(((a.selfByOwner.get(o) ?? 0) / busy) * 100).toFixed(1)}%`,
          perRequest(a.chargedByOwner.get(o) ?? 0),
          `${(((a.chargedByOwner.get(o) ?? 0) / busy) * 100).toFixed(1)}%`,
        ]),
      ),
      'The library, by file (with the node/native work it called):',
      table(
        ['file', 'us/req', 'share'],
        [...a.chargedByLibraryFile]
          .sort((x, y) => y[1] - x[1])
          .map(([file, us]) => [file, perRequest(us), `${((us / busy) * 100).toFixed(1)}%`]),
      ),
      "The library's functions, with the node/native work they called:",
      table(
        ['function', 'us/req', 'share', 'of it self'],
        [...a.chargedByLibraryFunction]
          .sort((x, y) => y[1] - x[1])
          .slice(0, TOP)
          .map(([name, us]) => [
            name,
            perRequest(us),
            `${((us / busy) * 100).toFixed(1)}%`,
            perRequest(a.selfByFrame.get(name)?.us ?? 0),
          ]),
      ),
      `Top ${TOP} frames by self time:`,
      table(
        ['frame', 'owner', 'self us/req', 'share'],
        [...a.selfByFrame]
          .filter(([, e]) => e.origin !== '(idle)')
          .sort((x, y) => y[1].us - x[1].us)
          .slice(0, TOP)
          .map(([name, e]) => [
            name,
            owner(e.origin),
            perRequest(e.us),
            `${((e.us / busy) * 100).toFixed(1)}%`,
          ]),
      ),
    );
  }
  out.push(
    `load average at end: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  process.stdout.write(`${out.join('\n\n')}\n`);
} finally {
  await database.close();
}
