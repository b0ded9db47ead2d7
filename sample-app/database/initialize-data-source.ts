import { DataSource, MigrationExecutor, type DataSourceOptions } from 'typeorm';

// Any constant works, as long as nothing else on the database uses it for an advisory lock.
const MIGRATION_LOCK = 4_217_960_256;

/**
 * Initializes the DataSource and runs its pending migrations in one transaction that first takes
 * a transaction-level advisory lock. TypeORM takes no lock of its own, and two app processes
 * started together on one database would otherwise both try to create the same tables. A
 * transaction-level lock, unlike a session one, also works through a transaction pooler
 * (PgBouncer in transaction mode): the transaction keeps its server connection until it ends,
 * and ending it releases the lock, so none is left held on a connection the pooler hands on.
 */
export async function initializeDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  try {
    await runMigrationsLocked(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    // A peer stuck while migrating must not block this process forever.
    await runner.query(`SET LOCAL lock_timeout = '60s'`);
    await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Given a runner that is in a transaction, the executor runs everything in it, and it reads
    // the migrations table only now, after a peer that migrated first has committed.
    await new MigrationExecutor(dataSource, runner).executePendingMigrations();
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}
