import { REPLAYED_HEADERS } from '../idempotency.constants.js';

/**
 * The `REPLAYED_HEADERS` of a response, read through `header` (which takes a lower-case name),
 * as they are stored: lower-case names, string values.
 */
export function replayedHeaders(header: (name: string) => unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = header(name);
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  return headers;
}
