import type { IdempotencyException } from '../errors/idempotency.exception.js';
import type { StoredResponse } from '../store/idempotency-store.js';

/**
 * One request and its response, as the interceptor needs them, whatever HTTP adapter serves
 * them. Everything that knows how an adapter sends a response lives behind this interface.
 */
export interface HttpExchange {
  readonly method: string;
  /** Path with its query string, as the client sent it. */
  readonly url: string;
  /** The route pattern the request matched (`/customers/:id`), for the default scope. */
  readonly routePattern: string;
  /** The parsed body, as the adapter's body parser left it. */
  readonly body: unknown;
  /** A request header's value; `name` is lower-case. */
  header(name: string): string | undefined;
  /**
   * Calls `onEnd` with the response as it is about to finish, and holds its last bytes back
   * until `onEnd` settles, so the client never sees an answer the store does not know about.
   * A body over `maxBytes` is recorded as `null`.
   */
  capture(maxBytes: number, onEnd: (sent: StoredResponse) => Promise<void>): void;
  /** What the adapter will send for a handler's return value, before it is sent. */
  expectedResponse(value: unknown): StoredResponse;
  /**
   * Sends a stored response again (or sets it up to go out); returns what the interceptor
   * emits for it.
   */
  replay(stored: StoredResponse, replayHeaderName: string): unknown;
  /** Sends the library's problem+json error itself, so no adapter rewrites it. */
  sendProblem(exception: IdempotencyException): void;
}
