import { readFileSync } from 'node:fs';
import type { QueryRunner } from 'typeorm';
import {
  CREATE_IDEMPOTENCY_KEYS_SQL,
  CreateIdempotencyKeys1796256000000,
} from '../../lib/index.js';

const sqlFile = new URL('../../migrations/create-idempotency-keys.sql', import.meta.url);

describe('the migration', () => {
  it('create-idempotency-keys.sql holds the same DDL as the TypeORM migration', () => {
    const statements = readFileSync(sqlFile, 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('--'))
      .join('\n')
      .trim();
    expect(statements).toBe(CREATE_IDEMPOTENCY_KEYS_SQL.trim());
  });

  it('up() runs that DDL and down() drops the table', async () => {
    const queries: string[] = [];
    const runner = {
      query: async (sql: string) => void queries.push(sql),
    } as unknown as QueryRunner;
    const migration = new CreateIdempotencyKeys1796256000000();
    await migration.up(runner);
    await migration.down(runner);
    expect(queries).toEqual([CREATE_IDEMPOTENCY_KEYS_SQL, 'DROP TABLE idempotency_keys']);
    expect(migration.name).toBe('CreateIdempotencyKeys1796256000000');
  });
});
