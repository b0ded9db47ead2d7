import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sample app's own tables. Every row carries the tenant (sha256 of the bearer token).
 * `webhook_events` is a second line of defence behind the idempotency key: an event id is
 * credited once even after its key expired.
 */
export class CreateSampleTables1796256100000 implements MigrationInterface {
  name = 'CreateSampleTables1796256100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE customer_counters (
        tenant_id   text   PRIMARY KEY,
        last_number bigint NOT NULL
      );
      CREATE TABLE customers (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id  text        NOT NULL,
        number     bigint      NOT NULL,
        name       text        NOT NULL,
        email      text,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT customers_tenant_number_key UNIQUE (tenant_id, number)
      );
      CREATE TABLE balances (
        tenant_id  text        NOT NULL,
        user_id    text        NOT NULL,
        balance    bigint      NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT balances_pkey PRIMARY KEY (tenant_id, user_id),
        -- Balances go out as JSON numbers: keep them exact.
        CONSTRAINT balances_balance_safe_integer
          CHECK (balance BETWEEN -9007199254740991 AND 9007199254740991)
      );
      CREATE TABLE adjustments (
        id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id     text        NOT NULL,
        user_id       text        NOT NULL,
        delta         bigint      NOT NULL,
        reason        text        NOT NULL,
        balance_after bigint      NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX adjustments_tenant_user_idx ON adjustments (tenant_id, user_id, created_at);
      CREATE TABLE webhook_events (
        tenant_id   text        NOT NULL,
        event_id    text        NOT NULL,
        type        text        NOT NULL,
        payload     jsonb       NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_events_pkey PRIMARY KEY (tenant_id, event_id)
      );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'DROP TABLE webhook_events, adjustments, balances, customers, customer_counters',
    );
  }
}
