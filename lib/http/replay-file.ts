import type { ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import { REPLAYED_HEADERS } from '../idempotency.constants.js';
import type { StoredResponse } from '../store/idempotency-store.js';

/**
 * Sets a stored response's status and headers on the Node.js response, and returns its body as
 * a `StreamableFile`, which every adapter sends as it is: no serializer, no guessed type. The
 * headers are set here, with the capitals Express gives them (`Content-Type`), so that a replay
 * carries the same header lines whichever adapter sends it.
 */
export function replayFile(
  response: ServerResponse,
  stored: StoredResponse,
  replayHeaderName: string,
): StreamableFile {
  const body = stored.body ?? Buffer.alloc(0);
  // As the adapters send these statuses first-hand: without a Content-Length (RFC 9110).
  const length = stored.status < 200 || stored.status === 204 ? undefined : body.length;
  response.statusCode = stored.status;
  // Exactly the stored headers: none that the route set for a fresh answer (a Location...).
  for (const name of REPLAYED_HEADERS) response.removeHeader(name);
  for (const [name, value] of Object.entries(stored.headers)) {
    response.setHeader(canonical(name), value);
  }
  response.setHeader(replayHeaderName, 'true');
  if (length !== undefined) response.setHeader('Content-Length', length);
  const file = new StreamableFile(body);
  // Else StreamableFile would add application/octet-stream and a length the original lacked.
  const headers = file.getHeaders.bind(file);
  file.getHeaders = () => ({
    ...headers(),
    type: stored.headers['content-type'] as string,
    length,
  });
  return file;
}

/** `content-type` -> `Content-Type`: worked out once for the names a replay can carry. */
function canonical(name: string): string {
  return CANONICAL_NAMES.get(name) ?? capitalized(name);
}

function capitalized(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

const CANONICAL_NAMES = new Map<string, string>(
  REPLAYED_HEADERS.map((name) => [name, capitalized(name)]),
);
