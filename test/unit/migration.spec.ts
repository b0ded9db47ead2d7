import { readFileSync } from 'node:fs';
import type { QueryRunner } from 'typeorm';
import {
  ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
  AddIdempotencyKeysInProgressIndex1796256200000,
  CREATE_IDEMPOTENCY_KEYS_SQL,
  CreateIdempotencyKeys1796256000000,
} from '../../lib/index.js';

const sqlFile = new URL('../../migrations/create-idempotency-keys.sql', import.meta.url);
const indexSqlFile = new URL(
  '../../migrations/add-idempotency-keys-in-progress-index.sql',
  import.meta.url,
);

/** A shipped .sql file without its comment lines. */
function statements(file: URL): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
    .trim();
}

async function run(migration: {
  up(runner: QueryRunner): Promise<void>;
  down(runner: QueryRunner): Promise<void>;
}): Promise<string[]> {
  const queries: string[] = [];
  const runner = { query: async (sql: string) => void queries.push(sql) } as unknown as QueryRunner;
  await migration.up(runner);
  await migration.down(runner);
  return queries;
}

describe('the migration', () => {
  it('create-idempotency-keys.sql holds the same DDL as the TypeORM migration', () => {
    expect(statements(sqlFile)).toBe(CREATE_IDEMPOTENCY_KEYS_SQL.trim());
  });

  it('up() runs that DDL and down() drops the table', async () => {
    const migration = new CreateIdempotencyKeys1796256000000();
    expect(await run(migration)).toEqual([
      CREATE_IDEMPOTENCY_KEYS_SQL,
      'DROP TABLE idempotency_keys',
    ]);
    expect(migration.name).toBe('CreateIdempotencyKeys1796256000000');
  });
});

describe('the in-flight index migration', () => {
  it('add-idempotency-keys-in-progress-index.sql builds the same index, CONCURRENTLY', () => {
    expect(statements(indexSqlFile)).toBe(
      ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL.replace(
        'CREATE INDEX',
        'CREATE INDEX CONCURRENTLY',
      ),
    );
  });

  it('up() runs that DDL and down() drops the index', async () => {
    const migration = new AddIdempotencyKeysInProgressIndex1796256200000();
    expect(await run(migration)).toEqual([
      ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
      'DROP INDEX IF EXISTS idempotency_keys_in_progress_idx',
    ]);
    expect(migration.name).toBe('AddIdempotencyKeysInProgressIndex1796256200000');
  });
});
