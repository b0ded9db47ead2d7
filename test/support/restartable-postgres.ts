import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  embeddedDataDirectory,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
  type ShutdownMode,
} from '../../tools/embedded-postgres.js';
import { freePort } from '../../tools/free-port.js';

/** When a restart took the server away and when it accepted connections again (`Date.now()`). */
export interface RestartTimes {
  stoppedAt: number;
  upAt: number;
}

/**
 * A PostgreSQL server of a test's own, which it may restart: always the same port and data
 * directory, so that the apps' `DATABASE_URL` stays right across restarts. Restarting the run's
 * shared server would break the test files that run next to this one.
 */
export class RestartablePostgres {
  private server?: EmbeddedDatabase;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Initialises and starts a throwaway cluster on a free port. */
  static async create(): Promise<RestartablePostgres> {
    const postgres = new RestartablePostgres(
      mkdtempSync(join(tmpdir(), 'idempotency-restart-pg-')),
      await freePort(),
    );
    await postgres.up();
    return postgres;
  }

  /** URL of the `postgres` database on this server. */
  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Stops the server in `mode` and waits until it has exited. */
  async stop(mode: ShutdownMode): Promise<void> {
    await this.server?.stop(mode);
    this.server = undefined;
  }

  /** Starts the server again (after an immediate stop, it recovers from the WAL first). */
  async start(): Promise<void> {
    await this.up();
  }

  /**
   * Stops the server in `mode`, keeps it down for `downForMs`, and starts it again. Resolves
   * once it accepts connections.
   */
  async restart(mode: ShutdownMode, downForMs: number): Promise<RestartTimes> {
    await this.stop(mode);
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, downForMs));
    await this.up();
    return { stoppedAt, upAt: Date.now() };
  }

  /** Stops the server and deletes its files. */
  async close(): Promise<void> {
    await this.stop('immediate');
    // As root the helper keeps the files elsewhere (embeddedDataDirectory); remove both.
    for (const path of [this.dir, embeddedDataDirectory(this.dir)])
      rmSync(path, { recursive: true, force: true });
  }

  private async up(): Promise<void> {
    this.server = await startEmbeddedPostgres({
      dir: this.dir,
      port: this.port,
      persistent: true,
      // An immediate stop is no OS crash: the page cache survives, so fsync can be off. Not
      // synchronous_commit: with it off, an immediate stop forgets commits already acknowledged.
      flags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'],
    });
  }
}
