import type { Type } from '@nestjs/common';
import { calls } from './calls.js';
import { createTestApps, type TestApp } from './create-test-app.js';
import { gates } from './gate.js';
import type { TestDatabase } from './postgres.js';
import { useTestDatabase } from './use-test-database.js';

/** The fixture module of one app, made for the file's database. */
export type FixtureModule = (db: TestDatabase) => Type<unknown> | Promise<Type<unknown>>;

/**
 * The set-up of an integration or race file, for the enclosing `describe`: a migrated database
 * of its own and one app per fixture module on it, started before the tests; the handler
 * counters at zero before each test; after the tests, held gates released, the apps closed and
 * the database dropped. What it returns works from the first hook on.
 */
export function useTestApps(...modules: FixtureModule[]): { db: TestDatabase; apps: TestApp[] } {
  let apps: TestApp[] = [];
  const db = useTestDatabase({
    beforeDrop: async () => {
      gates.releaseAll();
      await Promise.all(apps.map((app) => app.close()));
    },
  });
  beforeAll(async () => {
    const fixtures: Type<unknown>[] = [];
    for (const module of modules) fixtures.push(await module(db));
    apps = await createTestApps(...fixtures);
  });
  beforeEach(() => calls.reset());
  return { db, apps: modules.map((_, i) => startedApp(() => apps[i])) };
}

function startedApp(get: () => TestApp | undefined): TestApp {
  const app = (): TestApp => {
    const started = get();
    if (started === undefined) throw new Error('useTestApps(): its apps start in beforeAll');
    return started;
  };
  return {
    get app() {
      return app().app;
    },
    get url() {
      return app().url;
    },
    http: () => app().http(),
    close: () => app().close(),
  };
}
