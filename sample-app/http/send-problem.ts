import type { ServerResponse } from 'node:http';
import type { Problem } from './problem.exception.js';

/** Content type of every error the sample app answers with (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Writes a problem+json response. Used by the exception filter and by middleware that answers
 * before Nest's routing (body too large), so both send the same bytes.
 */
export function sendProblem(
  response: ServerResponse,
  body: Problem,
  headers: Readonly<Record<string, string>> = {},
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  // A Location set by a handler before it failed must not go out with the error.
  response.removeHeader('Location');
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.statusCode = body.status;
  // Set here, not by Express: no `charset` parameter, the same bytes whatever sent it.
  response.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  response.setHeader('Content-Length', bytes.length);
  response.end(bytes);
}
