// `npm run soak [-- --minutes 30] [-- --rate 20]`: two sample-app processes on one embedded
// PostgreSQL under steady load with retries, crashes, webhook redeliveries and the purge; prints
// a table per minute and a verdict, and exits 1 if the verdict is FAIL. Not part of `npm test`.
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppPool } from './app-pool.js';
import { checkLedger } from './ledger-check.js';
import { logProblems } from './log-scan.js';
import { minuteHeader, minuteRow, type Sample } from './minute-table.js';
import { makeOperation, type Operation } from './operation.js';
import { pacedLoad } from './paced-load.js';
import { RetryingClient } from './retrying-client.js';
import { runOperation } from './run-operation.js';
import { openSoakDatabase, type SoakDatabase } from './soak-database.js';
import { parseSoakOptions } from './soak-options.js';
import { SOAK_PLAN } from './soak-plan.js';
import { SoakStats } from './soak-stats.js';
import { verdict } from './verdict.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const options = parseSoakOptions(process.argv.slice(2));
const runId = randomBytes(4).toString('hex');
const started = new Date();
const dataDir = join(ROOT, '.soak-data', started.toISOString().replace(/[:.]/g, '-'));
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);
const print = (line: string) => process.stdout.write(`${line}\n`);

let database: SoakDatabase | undefined;
let pool: AppPool | undefined;
let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  log('SIGINT: stopping the apps and PostgreSQL');
  void stopEverything().finally(() => process.exit(130));
});

const stats = new SoakStats();
const operations: Operation[] = [];
const samples: Sample[] = [];

try {
  mkdirSync(dataDir, { recursive: true });
  log(`starting an embedded PostgreSQL in ${join(dataDir, 'pg')}; app logs in ${dataDir}`);
  database = await openSoakDatabase(join(dataDir, 'pg'));
  const appEnv = {
    DATABASE_URL: database.url,
    SAMPLE_FAULTS: '1',
    IDEMPOTENCY_TTL_SECONDS: String(SOAK_PLAN.ttlSeconds),
    IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: String(SOAK_PLAN.lockTimeoutSeconds),
    IDEMPOTENCY_PURGE_INTERVAL_SECONDS: String(SOAK_PLAN.purgeIntervalSeconds),
    NO_COLOR: '1', // plain log files
  };
  pool = new AppPool({
    env: appEnv,
    logDir: dataDir,
    onExit: (slot, exit) => {
      if (slot.name === 'B' && exit.signal === 'SIGKILL') return stats.count((c) => c.crashes++);
      stats.count((c) => c.otherErrors++);
      stats.fail('unexpected exit', `${slot.name}: code ${exit.code}, signal ${exit.signal}`);
    },
  });
  await pool.start();
  const apps = pool.slots.map((slot) => `${slot.name} pid ${slot.app!.pid}`).join(', ');
  log(`apps up (${apps}); load for ${options.minutes} min`);

  printHeader(
    database.version,
    Object.entries(appEnv).filter(([name]) => /^(SAMPLE|IDEMPOTENCY)_/.test(name)),
  );
  const client = new RetryingClient(pool, stats);
  const loadStart = performance.now();
  const loadEnd = loadStart + options.minutes * 60_000;
  const takeSample = async (): Promise<Sample> => ({
    t: (performance.now() - loadStart) / 1000,
    rssA: pool!.slots[0].app?.rssBytes(),
    rssB: pool!.slots[1].app?.rssBytes(),
    keys: await database!.keysTable(),
  });
  let deletedBefore = (await database.keysTable())?.deleted ?? 0;
  let minute = 0;
  let minuteStart = 0;
  // Not added to `samples`: taken every 60 s, these would be in step with the purge.
  const endMinute = async (label: string) => {
    const sample = await takeSample();
    const deleted = sample.keys?.deleted ?? deletedBefore;
    const rssB = [...samples.filter((s) => s.t >= minuteStart), sample].map((s) => s.rssB ?? 0);
    const row = { ...sample, rssB: Math.max(...rssB) || undefined };
    print(minuteRow(label, stats.endMinute(), row, deleted - deletedBefore));
    deletedBefore = deleted;
    minuteStart = sample.t;
  };
  let sampler: NodeJS.Timeout | undefined;
  const sampleLater = () => {
    const { min, max } = SOAK_PLAN.sampleSeconds;
    sampler = setTimeout(
      () => {
        void takeSample().then((sample) => samples.push(sample));
        sampleLater();
      },
      (min + Math.random() * (max - min)) * 1000,
    );
  };
  sampleLater();
  const minutes = setInterval(() => {
    minute++;
    void endMinute(performance.now() <= loadEnd + 1000 ? String(minute) : `${minute} (drain)`);
  }, 60_000);

  await pacedLoad(
    (index) => {
      const operation = makeOperation(runId, index);
      operations.push(operation);
      return runOperation(operation, client, stats, (at) => at < loadEnd);
    },
    { ratePerSecond: options.rate, endsAt: loadEnd },
  );
  clearTimeout(sampler);
  clearInterval(minutes);
  await endMinute('end of drain');
  log('load and drain done; checking balances and rows');

  const ledger = await checkLedger(runId, operations, pool, database.pool, stats);
  const result = verdict({
    stats,
    operations,
    slots: pool.slots,
    samples,
    loadSeconds: options.minutes * 60,
    ledger,
    logProblems: logProblems(['A', 'B'].map((name) => join(dataDir, `app-${name}.log`))),
  });
  print('');
  print(result.text);
  print('');
  print(`Load average at the end: ${loadAverage()}. Ended ${new Date().toISOString()}.`);
  await stopEverything();
  process.exit(result.passed ? 0 : 1);
} catch (error) {
  if (!stopping) {
    log(`soak aborted: ${(error as Error).stack ?? String(error)}`);
    await stopEverything();
    process.exit(2);
  }
}

function printHeader(postgresVersion: string, settings: [string, string][]): void {
  const cpus = os.cpus();
  print(`# Soak ${started.toISOString()}`);
  print('');
  print(`- command: \`npm run soak -- --minutes ${options.minutes} --rate ${options.rate}\``);
  print(`- library at ${commit()}`);
  print(
    `- machine: ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node.js ${process.version}, ` +
      `PostgreSQL ${postgresVersion} (embedded, default durability); load average at start ${loadAverage()}`,
  );
  print(
    `- two app processes (A, B) on one database, requests round robin; only B is sent X-Simulate: crash; ` +
      `${settings.map(([name, value]) => `${name}=${value}`).join(', ')}`,
  );
  print(
    `- ${options.rate} new operations/s: ${SOAK_PLAN.adjustShare * 100}% POST /economy/adjust, ` +
      `${SOAK_PLAN.customerShare * 100}% POST /customers, the rest POST /webhooks/events; ` +
      `${SOAK_PLAN.retryShare * 100}% sent again with the same key 0-300 ms later, ` +
      `${SOAK_PLAN.crashShare * 100}% with X-Simulate: crash; ${SOAK_PLAN.redeliveryShare * 100}% of events redelivered ` +
      `1-20 s later, ${SOAK_PLAN.lateRedeliveryShare * 100}% after the TTL`,
  );
  print(
    `- per minute: requests sent (retries included); answers' latency p50/p99; RSS of A and the keys ` +
      `table (rows, of which past their TTL, pg_total_relation_size) at the minute's end; B's highest ` +
      `sampled RSS in the minute; purged = rows deleted from the table in the minute`,
  );
  print('');
  print(minuteHeader());
}

async function stopEverything(): Promise<void> {
  await pool?.stop().catch((error: Error) => log(`stopping the apps: ${error.message}`));
  await database?.close().catch((error: Error) => log(`stopping PostgreSQL: ${error.message}`));
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

function commit(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    const dirty = execSync('git status --porcelain', { cwd: ROOT }).toString().trim() !== '';
    return `${sha}${dirty ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}
