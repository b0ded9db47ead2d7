// How to tell "the database is down" and constraint violations apart from other errors. pg
// errors carry a SQLSTATE `code`; TypeORM wraps them in QueryFailedError (`driverError`);
// connection failures carry a Node.js errno code or only a message.

const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
// 08: connection exception; 57P01-57P03: the server is shutting down or starting up.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123])$/;
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|not queryable/i;
// TypeORM releases a query runner whose connection emits 'error' (the server closed it between
// two statements of a transaction), and the next statement on it throws one of these instead of
// the connection error. The app never uses a runner after its transaction ended, so here they
// can only mean a lost connection.
const RELEASED_RUNNER = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);

/** The SQLSTATE of a PostgreSQL error, however TypeORM wrapped it. */
export function sqlState(error: unknown): string | undefined {
  for (const candidate of chain(error)) {
    const code = (candidate as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Whether the error means the database could not be reached (as opposed to a bad query). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return chain(error).some((candidate) => {
    if (RELEASED_RUNNER.has((candidate as { name?: unknown }).name as string)) return true;
    const code = (candidate as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_SQLSTATE.test(code))
    )
      return true;
    const message = (candidate as { message?: unknown }).message;
    return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
  });
}

function chain(error: unknown): object[] {
  const found: object[] = [];
  let current: unknown = error;
  while (
    typeof current === 'object' &&
    current !== null &&
    found.length < 5 &&
    !found.includes(current)
  ) {
    found.push(current);
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ??
      (current as { cause?: unknown }).cause;
  }
  return found;
}
