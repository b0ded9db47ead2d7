import { Logger } from '@nestjs/common';

// 26000: the server connection has no statement of that name; 42P05: it already has one. Behind
// a pooler that gives each transaction another server connection and does not carry prepared
// statements along (PgBouncer in transaction mode without `max_prepared_statements`, as before
// 1.21; other transaction poolers), named statements meet both, at random.
const LOST_STATEMENT = new Set(['26000', '42P05']);

const logger = new Logger('Idempotency');
// One warning per process, however many stores (DataSources) fall back.
let warned = false;

/**
 * Whether the PostgreSQL store sends its SQL as named prepared statements: from the start if
 * `preparedStatements` is on, until the connection path shows that it cannot keep them.
 */
export class StatementNaming {
  private named: boolean;

  constructor(preparedStatements: boolean) {
    this.named = preparedStatements;
  }

  /** The name to send a statement under, or `undefined` to send it unnamed. */
  nameOf(name: string): string | undefined {
    return this.named ? name : undefined;
  }

  /**
   * Whether `error` is the server losing a named statement; if so, every later statement goes
   * unnamed, and the first store of the process to fall back says so in the log.
   */
  fallBackOn(error: unknown, name: string): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !LOST_STATEMENT.has(code)) return false;
    this.named = false;
    if (!warned) {
      warned = true;
      logger.warn(
        `PostgreSQL answered the prepared statement "${name}" with SQLSTATE ${code} ` +
          `(${(error as Error).message}): the connection goes through a pooler that does not keep ` +
          'prepared statements, such as PgBouncer in transaction mode. The idempotency store ' +
          'sent that statement again unnamed and sends all its statements unnamed from now on; ' +
          'no request failed and nothing needs changing (preparedStatements: false skips this ' +
          'detection).',
      );
    }
    return true;
  }
}
