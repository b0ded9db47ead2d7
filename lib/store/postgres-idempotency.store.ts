import { randomUUID } from 'node:crypto';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { hashIdempotencyKey } from '../key/hash-idempotency-key.js';
import { assertBatchSize } from './assert-batch-size.js';
import { BackgroundRetries } from './background-retries.js';
import type { EvictKeyOptions, Eviction } from './eviction.interface.js';
import type { IdempotencyStoreHealth } from './idempotency-store-health.interface.js';
import type { IdempotencyStoreStats } from './idempotency-store-stats.interface.js';
import {
  IdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from './idempotency-store.js';
import { IDEMPOTENCY_TABLE } from './idempotency-table.constants.js';
import { isConnectionError, mayHaveRun } from './is-connection-error.js';
import { EVICT_SQL, INSPECT_SQL, STATS_SQL, TABLE_PRESENT_SQL } from './postgres-operator-sql.js';
import { RestartTransactionError } from './restart-transaction.error.js';
import { StatementNaming } from './statement-naming.js';
import type { InspectKeyOptions, StoredKey } from './stored-key.interface.js';

// A row no one may hold any more: completed and past its TTL, or in flight past its lock.
const STALE = `((status = 'completed' AND expires_at <= now())
            OR (status = 'in_progress' AND locked_until <= now()))`;

// One round trip: either inserts the claim, or returns the row that is already there. Only the
// INSERT writes, and it writes nothing when the key exists (ON CONFLICT DO NOTHING takes no row
// lock), so a replay stays read-only.
export const CLAIM_SQL = `
WITH inserted AS (
  INSERT INTO ${IDEMPOTENCY_TABLE} (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
  VALUES ($1, $2, 'in_progress', $3, $4, now() + make_interval(secs => $5), now() + make_interval(secs => $6))
  ON CONFLICT (scope, key) DO NOTHING
  RETURNING 1
)
SELECT 'claimed' AS state, NULL AS fingerprint, NULL::int AS response_status,
       NULL::jsonb AS response_headers, NULL::bytea AS response_body, false AS has_body
  FROM inserted
UNION ALL
SELECT CASE WHEN ${STALE} THEN 'stale' ELSE status END, fingerprint, response_status,
       response_headers, CASE WHEN status = 'completed' THEN response_body END, response_body IS NOT NULL
  FROM ${IDEMPOTENCY_TABLE}
 WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`;

// The transactional mode's claim, run inside the handler's transaction. The transaction-level
// advisory lock on the key marks "a claim in flight, not committed yet": a duplicate that cannot
// take it answers in_progress at once instead of waiting on the uncommitted row. The lock ends
// with the transaction, also when its connection dies. Holding it, the rest is CLAIM_SQL.
// Concurrent retries of a key completed long ago also take the lock, each in its own
// transaction: one that misses it still replays the completed row, as the default mode would.
export const CLAIM_IN_TRANSACTION_SQL = `
WITH lock AS (
  SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || chr(1) || $2::text, 0)) AS held
), inserted AS (
  INSERT INTO ${IDEMPOTENCY_TABLE} (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
  SELECT $1::text, $2::text, 'in_progress', $3::text, $4::uuid,
         now() + make_interval(secs => $5::float8), now() + make_interval(secs => $6::float8)
    FROM lock WHERE held
  ON CONFLICT (scope, key) DO NOTHING
  RETURNING 1
)
SELECT 'claimed' AS state, NULL AS fingerprint, NULL::int AS response_status,
       NULL::jsonb AS response_headers, NULL::bytea AS response_body, false AS has_body
  FROM inserted
UNION ALL
SELECT COALESCE(done.state, 'in_progress'), done.fingerprint, done.response_status,
       done.response_headers, done.response_body, COALESCE(done.has_body, false)
  FROM lock LEFT JOIN (
    SELECT 'completed' AS state, fingerprint, response_status, response_headers, response_body,
           response_body IS NOT NULL AS has_body
      FROM ${IDEMPOTENCY_TABLE}
     WHERE scope = $1 AND key = $2 AND status = 'completed' AND expires_at > now()
  ) done ON true
 WHERE NOT held
UNION ALL
SELECT CASE WHEN ${STALE} THEN 'stale' ELSE status END, fingerprint, response_status,
       response_headers, CASE WHEN status = 'completed' THEN response_body END, response_body IS NOT NULL
  FROM ${IDEMPOTENCY_TABLE}, lock
 WHERE held AND scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`;

// The one statement the transactional mode sends named. It runs before the work, so a pooler
// that lost it aborts a transaction that can simply start again (RestartTransactionError).
const CLAIM_IN_TRANSACTION_NAME = 'idempotency_claim_in_transaction';

// Waits, at most lock_timeout, until the transaction that holds the key's advisory lock ends.
const WAIT_FOR_IN_FLIGHT_SQL = `
SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $3, true),
       pg_advisory_xact_lock(hashtextextended($1::text || chr(1) || $2::text, 0))`;

const RESTORE_LOCK_TIMEOUT_SQL = `SELECT set_config('lock_timeout', $1, true)`;

/** SQLSTATE of `lock_timeout` running out. */
const LOCK_NOT_AVAILABLE = '55P03';

// Takes over a stale row. The WHERE repeats the staleness test, so of two racing takers only
// one matches, and a row that was completed meanwhile is left alone.
const TAKE_OVER_SQL = `
UPDATE ${IDEMPOTENCY_TABLE}
   SET status = 'in_progress', fingerprint = $3, lock_token = $4, created_at = now(),
       locked_until = now() + make_interval(secs => $5), expires_at = now() + make_interval(secs => $6),
       response_status = NULL, response_headers = NULL, response_body = NULL
 WHERE scope = $1 AND key = $2 AND ${STALE}`;

export const COMPLETE_SQL = `
UPDATE ${IDEMPOTENCY_TABLE}
   SET status = 'completed', response_status = $4, response_headers = $5, response_body = $6
 WHERE scope = $1 AND key = $2 AND lock_token = $3`;

const RELEASE_SQL = `
DELETE FROM ${IDEMPOTENCY_TABLE}
 WHERE scope = $1 AND key = $2 AND lock_token = $3 AND status = 'in_progress'`;

const RENEW_SQL = `
UPDATE ${IDEMPOTENCY_TABLE}
   SET locked_until = now() + make_interval(secs => $4)
 WHERE scope = $1 AND key = $2 AND lock_token = $3 AND status = 'in_progress'`;

// Keyset batches in expires_at order, each starting where the last one stopped ($2), so a batch
// never walks again over the index entries of rows already deleted (they stay until VACUUM): the
// time per batch stays flat however large the backlog. ctid keeps each DELETE to its own rows.
const PURGE_SQL = `
WITH deleted AS (
  DELETE FROM ${IDEMPOTENCY_TABLE}
   WHERE ctid = ANY (ARRAY(
     SELECT ctid FROM ${IDEMPOTENCY_TABLE}
      WHERE expires_at >= $2::timestamptz AND expires_at <= now()
        AND (status = 'completed' OR locked_until <= now())
      ORDER BY expires_at
      LIMIT $1))
  RETURNING expires_at
)
SELECT count(*)::int AS deleted, max(expires_at)::text AS last FROM deleted`;

const logger = new Logger('Idempotency');
const SETTLED = { complete: 'Completed', release: 'Released' } as const;

/** How often a claim is retried when the row it saw changed under it. */
const MAX_CLAIM_ATTEMPTS = 5;

/**
 * Runs one statement; `name` names it as a prepared statement where that is possible, and
 * `claim` is the claim it may write, to release if its answer is lost.
 */
type Execute = <R extends QueryResultRow = QueryResultRow>(
  name: string,
  text: string,
  values: unknown[],
  claim?: Claim,
) => Promise<{ rows: R[]; rowCount: number | null }>;

interface KeyRow {
  status: 'in_progress' | 'completed';
  fingerprint: string;
  created_at: Date;
  locked_until: Date;
  expires_at: Date;
  age_seconds: number;
  stale: boolean;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  body_bytes: number | null;
  response_body: Buffer | null;
}

/** `count(*)` and the statistics are bigint, which pg hands over as strings. */
interface StatsRow {
  in_progress: string;
  stale: string;
  oldest_claim_seconds: number | null;
  expired: string;
  total: string;
  estimated: boolean;
}

interface ClaimRow {
  state: 'claimed' | 'stale' | 'in_progress' | 'completed';
  fingerprint: string | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
  has_body: boolean;
}

/** Options of `PostgresIdempotencyStore`. */
export interface PostgresIdempotencyStoreOptions {
  /**
   * Send the SQL as named prepared statements, parsed and planned once per connection instead of
   * once per request (measured here: replays about 3x, first executions about 1.7x the
   * throughput of unnamed statements). Poolers are detected: where the connection path cannot
   * keep prepared statements (PgBouncer in transaction mode without `max_prepared_statements`,
   * say), the server answers SQLSTATE 26000 or 42P05, and the store sends that statement again
   * unnamed and every later one unnamed, with one warning in the log. `false` sends them
   * unnamed from the start.
   * @default true
   */
  preparedStatements?: boolean;
}

/**
 * The PostgreSQL store, on the `idempotency_keys` table of a TypeORM DataSource. A first
 * execution costs two statements (claim, complete), a replay one read-only statement.
 *
 * A completion or release that cannot reach the database (a restart, a failover) is retried in
 * the background until it can, so the key is settled as soon as the database is back rather
 * than after its lock timeout; so is the release of a claim whose answer was lost.
 */
export class PostgresIdempotencyStore extends IdempotencyStore implements OnModuleDestroy {
  private readonly naming: StatementNaming;
  private readonly retries = new BackgroundRetries();

  constructor(
    private readonly dataSource: DataSource,
    options: PostgresIdempotencyStoreOptions = {},
  ) {
    super();
    this.naming = new StatementNaming(options.preparedStatements ?? true);
  }

  claim(request: ClaimRequest): Promise<ClaimOutcome> {
    return this.claimWith(request, CLAIM_SQL, (name, text, values, claim) =>
      this.claimQuery(claim!, name, text, values),
    );
  }

  override async claimInTransaction(
    request: ClaimRequest,
    transaction: EntityManager,
    waitSeconds: number,
  ): Promise<ClaimOutcome> {
    const execute = this.inTransaction(transaction);
    if (waitSeconds > 0) {
      try {
        const { rows } = await execute<{ previous: string }>('', WAIT_FOR_IN_FLIGHT_SQL, [
          request.scope,
          request.key,
          `${Math.ceil(waitSeconds * 1000)}ms`,
        ]);
        await execute('', RESTORE_LOCK_TIMEOUT_SQL, [rows[0].previous]);
      } catch (error) {
        // The wait ran out; the transaction is aborted, and rolls back when the caller gives up.
        if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
          return { state: 'in_progress', fingerprint: undefined };
        }
        throw error;
      }
    }
    return this.claimWith(request, CLAIM_IN_TRANSACTION_SQL, execute);
  }

  /**
   * Statements on the connection of a TypeORM transaction. They go through the query runner
   * unnamed, except the claim: named (parsed and planned once per connection) on the runner's
   * own pg connection while the store still names its statements. A pooler that lost it (26000,
   * 42P05) has aborted the transaction: from then on it goes unnamed, and the caller restarts.
   */
  private inTransaction(transaction: EntityManager): Execute {
    const runner = transaction.queryRunner;
    if (!runner)
      throw new Error('PostgresIdempotencyStore needs a transaction with a query runner');
    return async <R extends QueryResultRow>(_name: string, text: string, values: unknown[]) => {
      const connection = (runner as { databaseConnection?: PoolClient }).databaseConnection;
      const named =
        text === CLAIM_IN_TRANSACTION_SQL &&
        this.naming.nameOf(CLAIM_IN_TRANSACTION_NAME) !== undefined;
      if (named && connection) {
        try {
          return await connection.query<R>({ name: CLAIM_IN_TRANSACTION_NAME, text, values });
        } catch (error) {
          if (!this.naming.fallBackOn(error, CLAIM_IN_TRANSACTION_NAME)) throw error;
          throw new RestartTransactionError(
            `A pooler lost the prepared statement "${CLAIM_IN_TRANSACTION_NAME}" and aborted the transaction before its work`,
            { cause: error },
          );
        }
      }
      const result = await runner.query(text, values, true);
      const records = result.records as R[] | undefined;
      return { rows: Array.isArray(records) ? records : [], rowCount: result.affected ?? null };
    };
  }

  /** The claim's loop, on the pool or in a transaction. */
  private async claimWith(
    request: ClaimRequest,
    claimSql: string,
    execute: Execute,
  ): Promise<ClaimOutcome> {
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      const token = randomUUID();
      const claim = { scope: request.scope, key: request.key, token };
      const params = [
        request.scope,
        request.key,
        request.fingerprint,
        token,
        request.lockTimeoutSeconds,
        request.ttlSeconds,
      ];
      const { rows } = await execute<ClaimRow>('idempotency_claim', claimSql, params, claim);
      const row = rows[0];
      // No row: the key was released or purged (or, waited for, committed) between the
      // INSERT's check and the SELECT's snapshot. The next statement sees it: try again.
      if (row === undefined) continue;
      if (row.state === 'claimed') return { state: 'claimed', claim };
      if (row.state === 'stale') {
        const { rowCount } = await execute('idempotency_take_over', TAKE_OVER_SQL, params, claim);
        // Only a completed row has a response status: a stale one without is an expired claim.
        if (rowCount === 1)
          return { state: 'claimed', claim, takenOver: row.response_status === null };
        continue; // another request took it over or completed it first
      }
      if (row.state === 'in_progress')
        return { state: 'in_progress', fingerprint: row.fingerprint ?? undefined };
      return {
        state: 'completed',
        fingerprint: row.fingerprint!,
        response: {
          status: row.response_status!,
          headers: row.response_headers ?? {},
          body: row.has_body ? row.response_body : null,
        },
      };
    }
    throw new Error(`Could not claim idempotency key after ${MAX_CLAIM_ATTEMPTS} attempts`);
  }

  async complete(
    claim: Claim,
    response: StoredResponse,
    transaction?: EntityManager,
  ): Promise<boolean> {
    const params = [
      claim.scope,
      claim.key,
      claim.token,
      response.status,
      JSON.stringify(response.headers),
      response.body,
    ];
    if (transaction) {
      const { rowCount } = await this.inTransaction(transaction)('', COMPLETE_SQL, params);
      return rowCount === 1;
    }
    return this.settle(claim, 'complete', 'idempotency_complete', COMPLETE_SQL, params);
  }

  async release(claim: Claim): Promise<boolean> {
    return this.settle(claim, 'release', 'idempotency_release', RELEASE_SQL, [
      claim.scope,
      claim.key,
      claim.token,
    ]);
  }

  async renew(claim: Claim, lockTimeoutSeconds: number): Promise<boolean> {
    const { rowCount } = await this.query('idempotency_renew', RENEW_SQL, [
      claim.scope,
      claim.key,
      claim.token,
      lockTimeoutSeconds,
    ]);
    return rowCount === 1;
  }

  async purgeExpired(batchSize = 5000): Promise<number> {
    assertBatchSize(batchSize);
    let total = 0;
    let from = '-infinity';
    for (;;) {
      const { rows } = await this.query<{ deleted: number; last: string | null }>(
        'idempotency_purge',
        PURGE_SQL,
        [batchSize, from],
      );
      const { deleted, last } = rows[0];
      total += deleted;
      if (deleted < batchSize) return total;
      from = last ?? from;
    }
  }

  async inspect(
    scope: string,
    key: string,
    options: InspectKeyOptions = {},
  ): Promise<StoredKey | undefined> {
    const { rows } = await this.query<KeyRow>('idempotency_inspect', INSPECT_SQL, [
      scope,
      key,
      options.body === true,
    ]);
    const row = rows[0];
    if (row === undefined) return undefined;
    const stored: StoredKey = {
      scope,
      key,
      status: row.status,
      fingerprint: row.fingerprint,
      createdAt: row.created_at,
      ageSeconds: row.age_seconds,
      expiresAt: row.expires_at,
      stale: row.stale,
    };
    if (row.status === 'in_progress') stored.lockedUntil = row.locked_until;
    if (row.response_status !== null) {
      stored.response = {
        status: row.response_status,
        headers: row.response_headers ?? {},
        bodyBytes: row.body_bytes,
      };
      if (options.body) stored.response.body = row.response_body;
    }
    return stored;
  }

  async evict(scope: string, key: string, options: EvictKeyOptions = {}): Promise<Eviction> {
    const { rows } = await this.query<{
      deleted_status: 'in_progress' | 'completed' | null;
      live: boolean;
    }>('idempotency_evict', EVICT_SQL, [scope, key, options.force === true]);
    const row = rows[0];
    if (row === undefined) return { evicted: false, reason: 'not_found' };
    if (row.deleted_status !== null) return { evicted: true, status: row.deleted_status };
    // There, and not deleted: a live claim. (Or a row another request deleted or took over while
    // this statement waited for it: the answer is what the statement saw.)
    return { evicted: false, reason: row.live ? 'in_flight' : 'not_found' };
  }

  async stats(): Promise<IdempotencyStoreStats> {
    const { rows } = await this.query<StatsRow>('idempotency_stats', STATS_SQL, []);
    const row = rows[0];
    const inProgress = Number(row.in_progress);
    return {
      keys: { inProgress, completed: Math.max(0, Number(row.total) - inProgress) },
      estimated: row.estimated,
      oldestClaimSeconds: row.oldest_claim_seconds,
      staleClaims: Number(row.stale),
      expired: Number(row.expired),
    };
  }

  /** Reachable, and the table there (in the search path of the DataSource's connections). */
  override async checkHealth(): Promise<IdempotencyStoreHealth> {
    let present: boolean;
    try {
      const { rows } = await this.query<{ present: boolean }>(
        'idempotency_table_present',
        TABLE_PRESENT_SQL,
        [],
      );
      present = rows[0].present;
    } catch (error) {
      return {
        healthy: false,
        details: { reachable: false },
        message: `PostgreSQL cannot be reached: ${(error as Error).message}`,
      };
    }
    const details = { reachable: true, table: IDEMPOTENCY_TABLE, tablePresent: present };
    return present
      ? { healthy: true, details }
      : {
          healthy: false,
          details,
          message: `The table "${IDEMPOTENCY_TABLE}" does not exist: run the migration.`,
        };
  }

  /** Stops the background retries; Nest calls it when the app shuts down. */
  onModuleDestroy(): void {
    this.retries.close();
  }

  /**
   * Runs a completion or release. If the database cannot be reached, it is tried again in the
   * background and the error still goes to the caller, whose response must not wait for it.
   */
  private async settle(
    claim: Claim,
    action: 'complete' | 'release',
    name: string,
    text: string,
    values: unknown[],
  ): Promise<boolean> {
    try {
      const { rowCount } = await this.query(name, text, values);
      return rowCount === 1;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      this.retries.add({
        id: `${claim.scope}|${claim.key}|${claim.token}`,
        label: `${action} idempotency key (key_hash=${hashIdempotencyKey(claim.key)})`,
        run: async () => {
          const { rowCount } = await this.query(name, text, values);
          if (rowCount === 1)
            logger.log(
              `${SETTLED[action]} idempotency key (key_hash=${hashIdempotencyKey(claim.key)}) once the database was back`,
            );
          else
            logger.warn(
              `Idempotency key (key_hash=${hashIdempotencyKey(claim.key)}) was taken over before the database was back`,
            );
        },
      });
      throw new Error(`${(error as Error).message} (retrying in the background)`, { cause: error });
    }
  }

  /**
   * Runs a claim or take-over. If the connection broke after it was sent, it may have committed
   * all the same (only the answer was lost): its row would block the key until its lock timeout
   * under a token no one holds, so that token is released once the database is back.
   */
  private async claimQuery<R extends QueryResultRow>(
    claim: Claim,
    name: string,
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    try {
      return await this.query<R>(name, text, values);
    } catch (error) {
      if (mayHaveRun(error)) {
        this.retries.add({
          id: `${claim.scope}|${claim.key}|${claim.token}`,
          label: `release idempotency key (key_hash=${hashIdempotencyKey(claim.key)}), whose claim's answer was lost`,
          run: async () => {
            const { rowCount } = await this.query('idempotency_release', RELEASE_SQL, [
              claim.scope,
              claim.key,
              claim.token,
            ]);
            if (rowCount === 1)
              logger.log(
                `Released idempotency key (key_hash=${hashIdempotencyKey(claim.key)}): its claim went through as the database went away, and its request was refused`,
              );
          },
        });
      }
      throw error;
    }
  }

  private async query<R extends QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    const named = this.naming.nameOf(name);
    if (named === undefined) return this.pool.query<R>({ text, values });
    try {
      return await this.pool.query<R>({ name: named, text, values });
    } catch (error) {
      if (!this.naming.fallBackOn(error, name)) throw error;
      // Safe to send again: 42P05 answers the Parse and 26000 the Bind, and the server skips the
      // rest of that batch (Execute included) up to its Sync, so the statement did not run. (None
      // of the store's SQL runs PREPARE, EXECUTE or DEALLOCATE, the only other sources of them.)
      return this.pool.query<R>({ text, values });
    }
  }

  // The DataSource's own pg pool: the claim and replay paths are the library's hottest code, and
  // TypeORM's query runners add an acquire/release cycle per statement that the pool does in one.
  private get pool(): Pool {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool)
      throw new Error('PostgresIdempotencyStore needs an initialized PostgreSQL DataSource');
    return pool;
  }
}
