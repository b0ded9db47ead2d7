// Node.js socket errors: the server is gone, refuses connections, or cannot be found.
const ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
// 08: connection exception; 57P01-57P03: the server is shutting down, crashed or starting up;
// 53300: too many connections.
const SQLSTATE = /^(08...|57P0[123]|53300)$/;
// pg's own errors carry no code: a connection that ended under a query, a client broken by
// such an error, or a pool that could not connect in time.
const MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect/i;

// The subset that fails before any statement is sent: no connection could be opened, or the
// client was already broken.
const BEFORE_SENDING_ERRNO = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const BEFORE_SENDING_SQLSTATE = /^(08001|08004|57P03|53300)$/;
const BEFORE_SENDING_MESSAGE = /not queryable|timeout exceeded when trying to connect/i;

/** Whether `error` says that PostgreSQL could not be reached, rather than that a statement failed. */
export function isConnectionError(error: unknown): boolean {
  return matches(error, ERRNO, SQLSTATE, MESSAGE);
}

/**
 * Whether the statement may have run although it failed: the connection broke after it was
 * sent, so it may have committed and only its answer was lost.
 */
export function mayHaveRun(error: unknown): boolean {
  return (
    isConnectionError(error) &&
    !matches(error, BEFORE_SENDING_ERRNO, BEFORE_SENDING_SQLSTATE, BEFORE_SENDING_MESSAGE)
  );
}

function matches(error: unknown, errno: Set<string>, sqlState: RegExp, message: RegExp): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message: text } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (errno.has(code) || sqlState.test(code))) return true;
  return typeof text === 'string' && message.test(text);
}
