// Experiment, run on its own (not part of `npm run bench`; about 3 minutes):
//   npm run build:app && node build/bench/experiments/purge.experiment.js [rows] [expired]
// Fills identical tables (default 2 million rows, 1 million expired) and purges each one in a
// different way while claims arrive at a steady rate, as `npm run bench` does on its largest
// table. For each way: rows/s, time per batch at the start and at the end, WAL written per row
// deleted, and claim p99 before, during and after the purge.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { PostgresIdempotencyStore } from '../../lib/index.js';
import { openBenchDatabase } from '../support/bench-database.js';
import { pacedLoop, type LoopResult } from '../support/closed-loop.js';
import { FILL_SCOPE, fillIdempotencyKeys } from '../support/fill-idempotency-keys.js';
import { installQueryCounter, statementTexts } from '../support/query-counter.js';
import { walPosition } from '../support/wal.js';

installQueryCounter();

// Copy of the library's purge statement (checked against what the library sends, below).
const PURGE_SQL = `
DELETE FROM idempotency_keys
 WHERE ctid = ANY (ARRAY(
   SELECT ctid FROM idempotency_keys
    WHERE expires_at <= now() AND (status = 'completed' OR locked_until <= now())
    LIMIT $1))`;

// Each batch starts at the expires_at where the previous one ended, so it does not walk again
// over the index entries of rows already deleted (they stay in the index until VACUUM).
const KEYSET_PURGE_SQL = `
WITH deleted AS (
  DELETE FROM idempotency_keys
   WHERE ctid = ANY (ARRAY(
     SELECT ctid FROM idempotency_keys
      WHERE expires_at >= $2 AND expires_at <= now() AND (status = 'completed' OR locked_until <= now())
      ORDER BY expires_at
      LIMIT $1))
  RETURNING expires_at)
SELECT count(*)::int AS n, max(expires_at) AS last FROM deleted`;

interface Variant {
  name: string;
  batch: number;
  keyset?: boolean;
  /** Sleep after each batch so that the purge averages at most this many rows/s. */
  maxRowsPerSecond?: number;
  /** Session setting of the purging connection. */
  options?: string;
}

const VARIANTS: Variant[] = [
  { name: 'library, batch 5,000 (default)', batch: 5000 },
  { name: 'library, batch 1,000', batch: 1000 },
  { name: 'library, batch 5,000, paced to 60,000 rows/s', batch: 5000, maxRowsPerSecond: 60_000 },
  {
    name: 'library, batch 5,000, synchronous_commit=off',
    batch: 5000,
    options: '-c synchronous_commit=off',
  },
  { name: 'keyset, batch 5,000', batch: 5000, keyset: true },
];
const CLAIMS_PER_SECOND = 1000;
const SECONDS_AROUND = 2;

const rows = Number(process.argv[2] ?? 2_000_000);
const expired = Number(process.argv[3] ?? 1_000_000);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const log = (line: string) => process.stderr.write(`[purge experiment] ${line}\n`);

const database = await openBenchDatabase(join(ROOT, '.bench-data'), log);
try {
  const url = await database.createDatabase('bench_purge_experiment');
  const schemaUrl = (schema: string, options = '') => {
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema} ${options}`.trim());
    return u.toString();
  };
  const schemas = VARIANTS.map((_, i) => `variant_${i}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const schema of [...schemas, 'empty']) await admin.query(`CREATE SCHEMA ${schema}`);

  // Does the copy still say what the library says?
  const empty = new DataSource({ type: 'postgres', url: schemaUrl('empty'), extra: { max: 1 } });
  await empty.initialize();
  await fillIdempotencyKeys(schemaUrl('empty'), 0, 0);
  await new PostgresIdempotencyStore(empty).purgeExpired();
  await empty.destroy();
  const sameSql = statementTexts('purge').includes(PURGE_SQL);

  for (const schema of schemas) {
    log(
      `filling ${schema}: ${rows.toLocaleString('en')} rows, ${expired.toLocaleString('en')} expired`,
    );
    await fillIdempotencyKeys(schemaUrl(schema), rows, expired);
  }
  await admin.query('CHECKPOINT');

  const lines: string[] = [];
  for (const [i, variant] of VARIANTS.entries()) {
    const claimsSource = new DataSource({
      type: 'postgres',
      url: schemaUrl(schemas[i]),
      extra: { max: 8 },
    });
    await claimsSource.initialize();
    const store = new PostgresIdempotencyStore(claimsSource);
    const keys: string[] = [];
    const claims = (duration: {
      seconds?: number;
      until?: Promise<unknown>;
    }): Promise<LoopResult> =>
      pacedLoop(
        async () => {
          const key = randomUUID();
          await store.claim({
            scope: FILL_SCOPE,
            key,
            fingerprint: 'f'.repeat(64),
            ttlSeconds: 86_400,
            lockTimeoutSeconds: 30,
          });
          keys.push(key);
        },
        { ratePerSecond: CLAIMS_PER_SECOND, ...duration },
      );
    const client = new pg.Client({ connectionString: schemaUrl(schemas[i], variant.options) });
    await client.connect();

    await claims({ seconds: SECONDS_AROUND }); // warm-up: new pool, pages cold after the checkpoint
    const before = await claims({ seconds: SECONDS_AROUND });
    const walBefore = await walPosition(admin);
    const batches: number[] = [];
    let deleted = 0;
    const started = performance.now();
    const purge = (async () => {
      let last: Date | string = '-infinity';
      for (;;) {
        const t0 = performance.now();
        let n: number;
        if (variant.keyset) {
          const result: pg.QueryResult<{ n: number; last: Date | null }> = await client.query(
            KEYSET_PURGE_SQL,
            [variant.batch, last],
          );
          n = result.rows[0].n;
          if (result.rows[0].last) last = result.rows[0].last;
        } else {
          n =
            (await client.query({ name: 'purge', text: PURGE_SQL, values: [variant.batch] }))
              .rowCount ?? 0;
        }
        batches.push(performance.now() - t0);
        deleted += n;
        if (n < variant.batch) return;
        if (variant.maxRowsPerSecond) {
          const due = started + (deleted / variant.maxRowsPerSecond) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    })();
    const during = await claims({ until: purge });
    await purge;
    const seconds = (performance.now() - started) / 1000;
    const walBytes = Number((await walPosition(admin)) - walBefore);
    const after = await claims({ seconds: SECONDS_AROUND });
    await client.end();
    await claimsSource.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = ANY($2)', [
      FILL_SCOPE,
      keys,
    ]);
    await claimsSource.destroy();

    const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length);
    const p99Ratio = during.latency.p99 / ((before.latency.p99 + after.latency.p99) / 2);
    lines.push(
      `| ${variant.name} | ${deleted.toLocaleString('en')} | ${seconds.toFixed(1)} | ${Math.round(deleted / seconds).toLocaleString('en')} | ` +
        `${mean(batches.slice(0, 5)).toFixed(0)} / ${mean(batches.slice(-5)).toFixed(0)} | ${Math.round(walBytes / Math.max(1, deleted))} | ` +
        `${before.latency.p99.toFixed(2)} / ${during.latency.p99.toFixed(2)} / ${after.latency.p99.toFixed(2)} | ${p99Ratio.toFixed(2)}x | ${during.errors} |`,
    );
    log(lines.at(-1)!);
    // The next variant starts from a clean slate: WAL of this one flushed and checkpointed.
    await admin.query('CHECKPOINT');
  }
  await admin.end();
  process.stdout.write(
    [
      `purge experiment: ${rows.toLocaleString('en')} rows per table, ${expired.toLocaleString('en')} expired, ${CLAIMS_PER_SECOND} claims/s alongside; library SQL copied verbatim: ${sameSql}`,
      '',
      '| variant | rows deleted | seconds | rows/s | ms per batch, first 5 / last 5 | WAL bytes per row deleted | claim p99 ms before / during / after | p99 during / around | claims skipped |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...lines,
      '',
    ].join('\n'),
  );
} finally {
  await database.close();
}
