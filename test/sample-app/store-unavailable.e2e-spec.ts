// "The idempotency store unreachable: 503 idempotency_store_unavailable; the handler does not run
// unprotected. Service resumes by itself once the database is back."
// This file starts a PostgreSQL of its own (not the run's shared one), stops it under a running
// app, and starts it again on the same port and data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  embeddedDataDirectory,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../../tools/embedded-postgres.js';
import { freePort } from '../../tools/free-port.js';
import { delay } from '../support/delay.js';
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem } from '../support/problem.js';
import { expectReplayOf, isReplay } from '../support/replay.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { balanceOf, customerCount, displayNumber } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';

let dir: string;
let port: number;
let server: EmbeddedDatabase | undefined;
let app: SampleApp;

/** Starts the cluster in `dir`, always on the same `port`, so the app's DATABASE_URL stays right. */
async function startServer(): Promise<void> {
  server = await startEmbeddedPostgres({
    dir,
    port,
    persistent: true,
    flags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off'],
  });
}

async function stopServer(): Promise<void> {
  await server?.stop();
  server = undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idempotency-store-down-pg-'));
  port = await freePort();
  await startServer();
  app = await startSampleApp({
    databaseUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
  });
});

afterAll(async () => {
  await killAllSampleApps();
  await stopServer();
  // As root the helper may keep the files elsewhere (embeddedDataDirectory); remove both.
  for (const path of dir ? [dir, embeddedDataDirectory(dir)] : [])
    rmSync(path, { recursive: true, force: true });
});

describe('Idempotency store unreachable', () => {
  it('answers 503 idempotency_store_unavailable without running the handler, and resumes by itself', async () => {
    const token = newToken();
    const beforeKey = newKey('before');
    const before = await app.request('POST', '/customers', {
      token,
      key: beforeKey,
      body: { name: 'Before' },
    });
    expect(before.status).toBe(201);

    await stopServer();
    const customerKey = newKey('customer');
    const adjustKey = newKey('adjust');
    const down = await app.request('POST', '/customers', {
      token,
      key: customerKey,
      body: { name: 'During' },
    });
    expectSampleAppProblem(down, 503, 'idempotency_store_unavailable');
    expect(isReplay(down)).toBe(false);
    const adjustDown = await app.request('POST', '/economy/adjust', {
      token,
      key: adjustKey,
      body: { user_id: 'u1', delta: 5, reason: 'r' },
    });
    expectSampleAppProblem(adjustDown, 503, 'idempotency_store_unavailable');
    // Replaying a completed key needs the store too.
    const replayDown = await app.request('POST', '/customers', {
      token,
      key: beforeKey,
      body: { name: 'Before' },
    });
    expectSampleAppProblem(replayDown, 503, 'idempotency_store_unavailable');
    // Readiness, through terminus and the library's indicator: the contract's 503 problem.
    expectSampleAppProblem(await app.request('GET', '/health'), 503, 'database_unavailable');
    expect({ alive: app.alive, output: app.alive ? '' : app.output() }).toEqual({
      alive: true,
      output: '',
    });

    await startServer();
    // Same process, no restart: retry until the app has found its database again.
    const deadline = Date.now() + 30_000;
    let after = await app.request('POST', '/customers', {
      token,
      key: customerKey,
      body: { name: 'During' },
    });
    while (after.status === 503 && Date.now() < deadline) {
      await delay(250);
      after = await app.request('POST', '/customers', {
        token,
        key: customerKey,
        body: { name: 'During' },
      });
    }
    expect({ status: after.status, replay: isReplay(after) }).toEqual({
      status: 201,
      replay: false,
    });
    // The 503 attempt ran nothing: this is the tenant's second customer, not its third.
    expect(displayNumber(after.json)).toBe(2);
    expect(await customerCount(app, token)).toBe(2);

    const adjustAfter = await app.request('POST', '/economy/adjust', {
      token,
      key: adjustKey,
      body: { user_id: 'u1', delta: 5, reason: 'r' },
    });
    expect({ status: adjustAfter.status, replay: isReplay(adjustAfter) }).toEqual({
      status: 201,
      replay: false,
    });
    expect(await balanceOf(app, token, 'u1')).toBe(5);
    expectReplayOf(
      await app.request('POST', '/customers', {
        token,
        key: customerKey,
        body: { name: 'During' },
      }),
      after,
    );
    expectReplayOf(
      await app.request('POST', '/customers', { token, key: beforeKey, body: { name: 'Before' } }),
      before,
    );
    expect((await app.request('GET', '/health')).status).toBe(200);
  });

  it('kept the same process throughout', () => {
    expect(app.alive).toBe(true);
  });
});
