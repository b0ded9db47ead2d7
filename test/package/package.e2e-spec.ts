import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeProcess from 'node:process';
import { newKey } from '../support/keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { buildApp, execIn, startApp, type HttpResponse, type RunningApp } from './consumer-app.js';
import { entryPoints, importsOf, packRepository, relativeTarget, type Tarball } from './pack.js';

// What a user does: `npm pack`, then fresh apps that `npm install` the tarball, compile with their
// own tsc, apply the shipped migration and serve real HTTP. Slow by nature: npm and tsc run in
// beforeAll; the requests themselves take well under a second each.
const SETUP_TIMEOUT = 300_000;
const TEST_TIMEOUT = 30_000;

/**
 * The apps under test/package/templates/: how each applies the shipped migration (the ESM app
 * runs the TypeORM class at boot, `migrationsRun`), and how Node resolves the package from it.
 */
const APPS = [
  {
    name: 'nest12-esm',
    migration: 'the TypeORM migration class, migrationsRun',
    migrateScript: undefined,
    loads: 'dist/esm',
    resolve: (specifier: string) => [
      '--input-type=module',
      '-e',
      `console.log(import.meta.resolve('${specifier}'))`,
    ],
  },
  {
    name: 'nest11-cjs',
    migration: 'the shipped .sql, run with pg',
    migrateScript: 'dist/migrate.js',
    loads: 'dist/cjs',
    resolve: (specifier: string) => ['-e', `console.log(require.resolve('${specifier}'))`],
  },
] as const;
type AppName = (typeof APPS)[number]['name'];

interface InstalledApp {
  dir: string;
  database: TestDatabase;
  http: RunningApp;
}

let work: string | undefined;
let tarball: Tarball;
const apps = new Map<AppName, InstalledApp>();
const databases: TestDatabase[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'idempotency-package-'));
  tarball = await packRepository(join(work, 'pack'));
  nodeProcess.stdout.write(
    `[package] ${tarball.path}: ${tarball.files.length} files, ` +
      `${tarball.unpackedSize} bytes unpacked, ${tarball.size} bytes packed\n`,
  );
}, SETUP_TIMEOUT);

afterAll(async () => {
  await Promise.all([...apps.values()].map((app) => app.http.kill()));
  await Promise.all(databases.map((database) => database.drop()));
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** Installs and builds both apps at once, then migrates and starts each on its own database. */
async function startApps(): Promise<void> {
  const dirs = await Promise.all(APPS.map(({ name }) => buildApp(name, tarball.path, work!)));
  for (const [index, { name, migrateScript }] of APPS.entries()) {
    const dir = dirs[index];
    const database = await createTestDatabase({ migrate: false });
    databases.push(database);
    if (migrateScript) {
      await execIn(dir, nodeProcess.execPath, [migrateScript], { DATABASE_URL: database.url });
    }
    apps.set(name, { dir, database, http: await startApp(dir, database.url) });
  }
}

function app(name: AppName): InstalledApp {
  const installed = apps.get(name);
  if (!installed) throw new Error(`${name} did not start: see the beforeAll error`);
  return installed;
}

/** How many times the app's handler `name` has run (`GET /runs`). */
async function runs(http: RunningApp, name: string): Promise<number> {
  const response = await http.request('GET', '/runs');
  return response.json[name] ?? 0;
}

function isReplay(response: HttpResponse): boolean {
  return response.headers.get('idempotent-replay') === 'true';
}

/** The library's error: problem+json with exactly type, title, status, detail, code. */
function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.json?.code }).toEqual({ status, code });
  expect(Object.keys(response.json).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  expect(isReplay(response)).toBe(false);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace('*', '[^/]+')}$`);
}

describe('npm pack', () => {
  it('ships every file that main, types, exports and the shipped imports point to', () => {
    const shipped = new Set(tarball.files);
    // A subpath pattern (`./migrations/*.sql`) must match at least one shipped file.
    const ships = (target: string) =>
      target.includes('*')
        ? tarball.files.some((file) => globToRegExp(target).test(file))
        : shipped.has(target);
    const missing = entryPoints(tarball.manifest).filter((target) => !ships(target));
    for (const file of tarball.files.filter((path) => /\.(js|d\.ts)$/.test(path))) {
      for (const specifier of importsOf(tarball, file).filter((s) => s.startsWith('.'))) {
        const target = relativeTarget(file, specifier);
        if (!shipped.has(target)) missing.push(`${target} (imported by ${file})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('imports nothing but its peer dependencies and Node.js built-ins', () => {
    const peers = Object.keys(tarball.manifest.peerDependencies);
    const strangers = new Set<string>();
    for (const file of tarball.files.filter((path) => /\.(js|d\.ts)$/.test(path))) {
      for (const specifier of importsOf(tarball, file)) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        if (!peers.some((peer) => specifier === peer || specifier.startsWith(`${peer}/`))) {
          strangers.add(`${specifier} (in ${file})`);
        }
      }
    }
    expect([...strangers]).toEqual([]);
  });

  it('ships no tests, sample app, benchmarks, TypeScript sources or source maps', () => {
    const unwanted = tarball.files.filter(
      (path) =>
        /^(test|sample-app|bench)\//.test(path) ||
        (path.endsWith('.ts') && !path.endsWith('.d.ts')) ||
        path.endsWith('.map'),
    );
    expect(unwanted).toEqual([]);
  });

  it('ships the README, LICENSE, CHANGELOG and the SQL migration', () => {
    expect(tarball.files).toEqual(
      expect.arrayContaining([
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'migrations/create-idempotency-keys.sql',
      ]),
    );
  });
});

describe('apps that install the tarball', () => {
  beforeAll(startApps, SETUP_TIMEOUT);

  describe.each(APPS)('an installed $name app', ({ name, migration, loads, resolve }) => {
    describe('loading the package', () => {
      it(
        `resolves nestjs-idempotency to its ${loads} build`,
        async () => {
          const resolved = await execIn(app(name).dir, nodeProcess.execPath, [
            ...resolve('nestjs-idempotency'),
          ]);
          expect(resolved.trim()).toMatch(
            new RegExp(`/node_modules/nestjs-idempotency/${loads}/lib/index\\.js$`),
          );
        },
        TEST_TIMEOUT,
      );

      it.each(['swagger', 'terminus'])(
        `resolves the nestjs-idempotency/%s subpath to its ${loads} build, its optional peer not installed`,
        async (subpath) => {
          const { dir } = app(name);
          const resolved = await execIn(dir, nodeProcess.execPath, [
            ...resolve(`nestjs-idempotency/${subpath}`),
          ]);
          expect(resolved.trim()).toMatch(
            new RegExp(`/node_modules/nestjs-idempotency/${loads}/lib/${subpath}/index\\.js$`),
          );
          expect(existsSync(join(dir, 'node_modules', '@nestjs', subpath))).toBe(false);
        },
        TEST_TIMEOUT,
      );

      it(
        'runs without the optional peer @opentelemetry/api, which npm did not install',
        async () => {
          const resolve = "require.resolve('@opentelemetry/api')";
          await expect(
            execIn(app(name).dir, nodeProcess.execPath, ['-e', resolve]),
          ).rejects.toThrow(/Cannot find module '@opentelemetry\/api'/);
        },
        TEST_TIMEOUT,
      );

      it(
        `has the idempotency_keys table from the shipped migration (${migration})`,
        async () => {
          const { rows } = await app(name).database.query(
            "SELECT to_regclass('idempotency_keys') IS NOT NULL AS present",
          );
          expect(rows[0].present).toBe(true);
        },
        TEST_TIMEOUT,
      );
    });

    describe('a decorated POST', () => {
      it(
        'runs once, and a retry with the same key replays it byte for byte',
        async () => {
          const { http } = app(name);
          const key = newKey();
          const before = await runs(http, 'orders');
          const first = await http.request('POST', '/orders', { key, body: { item: 'book' } });
          const retry = await http.request('POST', '/orders', { key, body: { item: 'book' } });

          expect(first.status).toBe(201);
          expect(first.headers.get('location')).toMatch(/^\/orders\/\d+$/);
          expect(isReplay(first)).toBe(false);
          expect({
            status: retry.status,
            contentType: retry.headers.get('content-type'),
            location: retry.headers.get('location'),
            replay: retry.headers.get('idempotent-replay'),
          }).toEqual({
            status: first.status,
            contentType: first.headers.get('content-type'),
            location: first.headers.get('location'),
            replay: 'true',
          });
          expect(retry.body.equals(first.body)).toBe(true);
          expect(await runs(http, 'orders')).toBe(before + 1);
        },
        TEST_TIMEOUT,
      );
    });

    describe('the same key with another body', () => {
      it(
        'is refused with 409 idempotency_key_reused, and the handler does not run',
        async () => {
          const { http } = app(name);
          const key = newKey();
          await http.request('POST', '/orders', { key, body: { item: 'book' } });
          const before = await runs(http, 'orders');
          const reused = await http.request('POST', '/orders', { key, body: { item: 'pen' } });
          expectProblem(reused, 409, 'idempotency_key_reused');
          expect(await runs(http, 'orders')).toBe(before);
        },
        TEST_TIMEOUT,
      );
    });

    describe('a key still in flight', () => {
      it(
        'gets 409 idempotency_key_in_use with Retry-After',
        async () => {
          const { http } = app(name);
          const key = newKey();
          const before = await runs(http, 'orders');
          const path = '/orders?waitMs=1500';
          const pending = http.request('POST', path, { key, body: { item: 'slow' } });
          // The handler counts its run before it waits: from then on the key is claimed.
          while ((await runs(http, 'orders')) === before)
            await new Promise((r) => setTimeout(r, 20));
          const second = await http.request('POST', path, { key, body: { item: 'slow' } });
          const first = await pending;

          expectProblem(second, 409, 'idempotency_key_in_use');
          expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(first.status).toBe(201);
          expect(await runs(http, 'orders')).toBe(before + 1);
        },
        TEST_TIMEOUT,
      );
    });

    describe('20 concurrent requests with one key', () => {
      it(
        'run the handler exactly once; the others replay or are told the key is in use',
        async () => {
          const { http } = app(name);
          const key = newKey();
          const before = await runs(http, 'orders');
          const responses = await Promise.all(
            Array.from({ length: 20 }, () =>
              http.request('POST', '/orders?waitMs=200', { key, body: { item: 'race' } }),
            ),
          );
          const succeeded = responses.filter((response) => response.status === 201);
          const refused = responses.filter((response) => response.status !== 201);
          expect(succeeded.filter((response) => !isReplay(response))).toHaveLength(1);
          expect(new Set(succeeded.map((response) => response.text)).size).toBe(1);
          expect(refused.map((response) => response.json?.code)).toEqual(
            refused.map(() => 'idempotency_key_in_use'),
          );
          expect(await runs(http, 'orders')).toBe(before + 1);
        },
        TEST_TIMEOUT,
      );
    });

    describe('routes the library must leave alone', () => {
      it(
        'runs an undecorated POST every time, ignoring the key',
        async () => {
          const { http } = app(name);
          const key = newKey();
          const before = await runs(http, 'notes');
          const first = await http.request('POST', '/notes', { key, body: { text: 'hi' } });
          const second = await http.request('POST', '/notes', { key, body: { text: 'hi' } });
          expect([first.status, second.status]).toEqual([201, 201]);
          expect([isReplay(first), isReplay(second)]).toEqual([false, false]);
          expect(second.text).not.toBe(first.text);
          expect(await runs(http, 'notes')).toBe(before + 2);
        },
        TEST_TIMEOUT,
      );

      it(
        'runs a GET every time, even on an @Idempotent route',
        async () => {
          const { http } = app(name);
          const key = newKey();
          const before = await runs(http, 'clock');
          const first = await http.request('GET', '/clock', { key });
          const second = await http.request('GET', '/clock', { key });
          expect([first.status, second.status]).toEqual([200, 200]);
          expect([isReplay(first), isReplay(second)]).toEqual([false, false]);
          expect(await runs(http, 'clock')).toBe(before + 2);
        },
        TEST_TIMEOUT,
      );
    });

    describe('a route that requires a key', () => {
      it(
        'answers 400 idempotency_key_missing without one, and the handler does not run',
        async () => {
          const { http } = app(name);
          const before = await runs(http, 'payments');
          const response = await http.request('POST', '/payments', { body: { amount: 5 } });
          expectProblem(response, 400, 'idempotency_key_missing');
          expect(await runs(http, 'payments')).toBe(before);
        },
        TEST_TIMEOUT,
      );
    });
  });

  describe('the nest11-cjs app with nestjs-cls: @Idempotent({ transactional: true })', () => {
    async function ledgerRows(ref: string): Promise<number> {
      const { rows } = await app('nest11-cjs').database.query(
        'SELECT count(*)::int AS n FROM ledger WHERE ref = $1',
        [ref],
      );
      return rows[0].n;
    }

    async function keyRow(key: string) {
      const { rows } = await app('nest11-cjs').database.query(
        'SELECT status, response_status FROM idempotency_keys WHERE key = $1',
        [key],
      );
      return rows[0];
    }

    function credit(key: string, ref: string, fail?: 'client' | 'server') {
      return app('nest11-cjs').http.request('POST', '/ledger', {
        key,
        body: { ref, amount: 10 },
        headers: fail ? { 'x-fail': fail } : {},
      });
    }

    it(
      "commits the handler's row and the key's completion together",
      async () => {
        const [key, ref] = [newKey(), newKey()];
        const response = await credit(key, ref);
        expect(response.status).toBe(201);
        expect(await ledgerRows(ref)).toBe(1);
        expect(await keyRow(key)).toEqual({ status: 'completed', response_status: 201 });
      },
      TEST_TIMEOUT,
    );

    it(
      'leaves no row when the handler writes, then throws a 4xx (which is stored)',
      async () => {
        const [key, ref] = [newKey(), newKey()];
        const response = await credit(key, ref, 'client');
        expect(response.status).toBe(400);
        expect(await ledgerRows(ref)).toBe(0);
        expect(await keyRow(key)).toEqual({ status: 'completed', response_status: 400 });
      },
      TEST_TIMEOUT,
    );

    it(
      'leaves no row and no key when the handler writes, then throws a 5xx',
      async () => {
        const [key, ref] = [newKey(), newKey()];
        const response = await credit(key, ref, 'server');
        expect(response.status).toBe(500);
        expect(await ledgerRows(ref)).toBe(0);
        expect(await keyRow(key)).toBeUndefined();
      },
      TEST_TIMEOUT,
    );
  });
});
