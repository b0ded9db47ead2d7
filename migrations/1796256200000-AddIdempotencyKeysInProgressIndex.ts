import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The DDL of `add-idempotency-keys-in-progress-index.sql` (which builds it `CONCURRENTLY`), for
 * TypeORM's migration runner.
 */
export const ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL = `CREATE INDEX IF NOT EXISTS idempotency_keys_in_progress_idx
  ON idempotency_keys (created_at) WHERE status = 'in_progress';`;

/**
 * Indexes the keys in flight, so that `IdempotencyService.stats()` reads them without scanning
 * the table. Add it to your DataSource's `migrations` after `CreateIdempotencyKeys1796256000000`.
 * It runs inside TypeORM's migration transaction, so the build blocks writes to the table while
 * it scans it: on a large table, run the `.sql` file (`CREATE INDEX CONCURRENTLY`) first, and
 * this migration finds the index there.
 */
export class AddIdempotencyKeysInProgressIndex1796256200000 implements MigrationInterface {
  name = 'AddIdempotencyKeysInProgressIndex1796256200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS idempotency_keys_in_progress_idx');
  }
}
