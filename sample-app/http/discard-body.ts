import type { IncomingMessage } from 'node:http';

/** How long a refused body is read at most, in all. */
export const DISCARD_MAX_MS = 30_000;
/** How long a refused body may pause before the connection is closed. */
export const DISCARD_IDLE_MS = 5_000;

/**
 * Reads the rest of a request body that will not be used, and throws it away, so that an answer
 * sent before its end (413) reaches the client. Closing the connection while the client still
 * sends makes its kernel receive a reset, which may drop the answer before the client reads it:
 * clients that send the whole body before reading (fetch) would see an error instead of the 413.
 * Like nginx's lingering close, the reading is bounded in time (`DISCARD_MAX_MS` in all,
 * `DISCARD_IDLE_MS` between chunks), not in bytes; past that the connection is closed. A body
 * read to its end leaves the connection open for the client's next request.
 */
export function discardBody(request: IncomingMessage): void {
  const socket = request.socket;
  const close = (): void => {
    socket.destroy();
  };
  const deadline = setTimeout(close, DISCARD_MAX_MS).unref();
  let idle = setTimeout(close, DISCARD_IDLE_MS).unref();
  const done = (): void => {
    clearTimeout(deadline);
    clearTimeout(idle);
  };
  request.on('data', () => {
    clearTimeout(idle);
    idle = setTimeout(close, DISCARD_IDLE_MS).unref();
  });
  // On the request, not its socket: a kept-alive socket would gather one listener per request.
  request.once('close', done);
  request.resume();
}
