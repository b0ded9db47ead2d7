import { createTestDatabase, type TestDatabase } from './postgres.js';

/**
 * A database of its own for the enclosing `describe` (or file): created before its tests,
 * dropped after them, once `beforeDrop` (closing what still uses it) has run. The object is
 * returned at once and works from the first hook on.
 */
export function useTestDatabase(
  options: { migrate?: boolean; beforeDrop?: () => Promise<unknown> } = {},
): TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: options.migrate });
  });
  afterAll(async () => {
    await options.beforeDrop?.();
    await db?.drop();
  });
  const created = (): TestDatabase => {
    if (db === undefined) throw new Error('useTestDatabase(): its database is made in beforeAll');
    return db;
  };
  return {
    get url() {
      return created().url;
    },
    get directUrl() {
      return created().directUrl;
    },
    get name() {
      return created().name;
    },
    query: (sql, params) => created().query(sql, params),
    drop: () => created().drop(),
  };
}
