import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

// The package exports only its code and package.json: find the shipped .sql file next to it.
const packageDir = dirname(require.resolve('nestjs-idempotency/package.json'));
const idempotencyKeysSql = join(packageDir, 'migrations', 'create-idempotency-keys.sql');

async function migrate() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(readFileSync(idempotencyKeysSql, 'utf8'));
    await client.query('CREATE TABLE ledger (ref text PRIMARY KEY, amount int NOT NULL)');
  } finally {
    await client.end();
  }
}
migrate();
