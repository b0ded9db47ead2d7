import type { ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import { REPLAYED_HEADERS } from '../idempotency.constants.js';
import type { StoredResponse } from '../store/idempotency-store.js';

/**
 * A stored response's body, as the value a replay hands to Nest: a `StreamableFile`, which
 * every adapter and interceptor passes on as it is (no serializer, no guessed type). On
 * Express, `sendReplaysDirectly()` has the adapter send it with one `end()` instead of piping
 * its stream.
 */
export class ReplayFile extends StreamableFile {
  constructor(
    private readonly response: ServerResponse,
    private readonly body: Buffer | undefined,
    private readonly type: string | undefined,
  ) {
    super(body ?? Buffer.alloc(0));
  }

  /**
   * The stored type and length, else the adapters would send application/octet-stream and a
   * length a bodiless original lacked. (An undefined type: the original had none.)
   */
  override getHeaders() {
    return { ...super.getHeaders(), type: this.type as string, length: this.body?.length };
  }

  /**
   * Ends `response` with the stored bytes, if it is the response whose status and headers
   * `replayFile()` set; otherwise returns `false` and leaves it to the adapter.
   */
  sendTo(response: unknown): boolean {
    if (response !== this.response) return false;
    this.response.end(this.body);
    return true;
  }
}

/**
 * Sets a stored response's status and headers on the Node.js response, and returns its body as
 * a `ReplayFile`. The headers are set here, with the capitals Express gives them
 * (`Content-Type`), so that a replay carries the same header lines whichever adapter sends it.
 */
export function replayFile(
  response: ServerResponse,
  stored: StoredResponse,
  replayHeaderName: string,
): ReplayFile {
  // As the adapters send these statuses first-hand: without a body or a Content-Length (RFC 9110).
  const bodiless = stored.status < 200 || stored.status === 204;
  const body = bodiless ? undefined : (stored.body ?? Buffer.alloc(0));
  response.statusCode = stored.status;
  // Exactly the stored headers: none that the route set for a fresh answer (a Location...).
  for (const name of REPLAYED_HEADERS) response.removeHeader(name);
  for (const [name, value] of Object.entries(stored.headers)) {
    response.setHeader(canonical(name), value);
  }
  response.setHeader(replayHeaderName, 'true');
  if (body !== undefined) response.setHeader('Content-Length', body.length);
  return new ReplayFile(response, body, stored.headers['content-type']);
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
