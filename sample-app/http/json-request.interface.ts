import type { IncomingMessage } from 'node:http';

/** A request after `JsonBodyMiddleware` (and, on protected routes, `BearerAuthGuard`). */
export interface JsonRequest extends IncomingMessage {
  /**
   * The parsed JSON body; the raw bytes (a `Buffer`) when they are not JSON; `undefined` when
   * the request had no body.
   */
  body?: unknown;
  /** Why the body is not JSON, when it is not. */
  jsonError?: string;
  /** sha256 hex of the bearer token: the caller's tenant. */
  tenantId?: string;
}
