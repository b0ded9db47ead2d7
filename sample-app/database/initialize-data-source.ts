import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

// Any constant works, as long as nothing else on the database uses it for an advisory lock.
const MIGRATION_LOCK = 4_217_960_256;

/**
 * Initializes the DataSource, which runs the pending migrations (`migrationsRun: true`), while
 * holding a PostgreSQL advisory lock. TypeORM takes no lock of its own, and two app processes
 * started together on one database would otherwise both try to create the same tables.
 */
export async function initializeDataSource(
  options: DataSourceOptions & { url: string },
): Promise<DataSource> {
  const lock = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 3000 });
  lock.on('error', () => undefined); // a lost lock connection surfaces in the queries below
  await lock.connect();
  try {
    // A peer stuck while migrating must not block this process forever.
    await lock.query(`SET lock_timeout = '60s'`);
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const dataSource = new DataSource(options);
    await dataSource.initialize();
    return dataSource;
  } finally {
    // Ending the session releases the advisory lock.
    await lock.end().catch(() => undefined);
  }
}
