import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The DDL of `create-idempotency-keys.sql`, for TypeORM's migration runner. */
export const CREATE_IDEMPOTENCY_KEYS_SQL = `CREATE TABLE idempotency_keys (
  scope            text        NOT NULL,
  key              text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('in_progress', 'completed')),
  fingerprint      text        NOT NULL,
  lock_token       uuid        NOT NULL,
  response_status  smallint,
  response_headers jsonb,
  response_body    bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);`;

/**
 * Creates the `idempotency_keys` table: one row per `(scope, key)`, in flight or completed.
 * Add it to your DataSource's `migrations`.
 */
export class CreateIdempotencyKeys1796256000000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1796256000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(CREATE_IDEMPOTENCY_KEYS_SQL);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE idempotency_keys');
  }
}
