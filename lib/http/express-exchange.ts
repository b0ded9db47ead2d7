import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import { REPLAYED_HEADERS } from '../idempotency.constants.js';
import type { StoredResponse } from '../store/idempotency-store.js';

// Everything that knows how Express sends a response lives in this file: the seam a Fastify
// adapter would replace.

/** What the library reads of an Express request. */
export type HttpRequest = IncomingMessage & {
  method: string;
  url: string;
  originalUrl?: string;
  route?: { path?: string };
  body?: unknown;
  app?: { get(name: string): unknown };
};

/** The route pattern (`/customers/:id`) the request matched, for the default scope. */
export function routePattern(request: HttpRequest): string {
  return request.route?.path ?? request.url.split('?')[0];
}

/** Path with its query string, as the client sent it. */
export function requestUrl(request: HttpRequest): string {
  return request.originalUrl ?? request.url;
}

/**
 * Calls `onEnd` with the response as it is about to finish, and holds its last bytes back
 * until `onEnd` settles, so the client never sees an answer the store does not know about.
 * A body over `maxBytes` is recorded as `null`.
 */
export function recordResponse(
  response: ServerResponse,
  maxBytes: number,
  onEnd: (recorded: StoredResponse) => Promise<void>,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const collect = (chunk: unknown, encoding?: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > maxBytes)
      return;
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size <= maxBytes) chunks.push(buffer);
  };
  const write = response.write;
  const end = response.end;
  response.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  response.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0]);
    response.end = end;
    const recorded: StoredResponse = {
      status: this.statusCode,
      headers: replayedHeaders(this),
      body: size <= maxBytes ? Buffer.concat(chunks) : null,
    };
    void onEnd(recorded).finally(() =>
      (end as (...args: unknown[]) => void).call(this, chunk, ...rest),
    );
    return this;
  } as ServerResponse['end'];
}

/**
 * What Express will send for a handler's return value, before it is sent: what the transactional
 * mode commits with the handler's writes. `recordResponse` later corrects it if another
 * interceptor or a filter changed what went out.
 */
export function expectedResponse(
  response: ServerResponse,
  request: HttpRequest,
  value: unknown,
): StoredResponse {
  const headers = replayedHeaders(response);
  let body: Buffer | null;
  if (value instanceof StreamableFile) {
    body = null;
  } else if (value === undefined || value === null) {
    body = Buffer.alloc(0);
  } else if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    const replacer = request.app?.get('json replacer') as
      ((key: string, value: unknown) => unknown) | undefined;
    const spaces = request.app?.get('json spaces') as number | string | undefined;
    body = Buffer.from(JSON.stringify(value, replacer, spaces) ?? '');
    headers['content-type'] ??= 'application/json; charset=utf-8';
  } else {
    body = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
    headers['content-type'] ??= 'text/html; charset=utf-8';
  }
  return { status: response.statusCode, headers, body };
}

/**
 * Sends a stored response again: its status and headers are set here, its bytes go out through
 * Nest's `StreamableFile` path, which writes them untouched.
 */
export function replayResponse(
  response: ServerResponse,
  stored: StoredResponse,
  replayHeaderName: string,
): StreamableFile {
  const body = stored.body ?? Buffer.alloc(0);
  response.statusCode = stored.status;
  for (const [name, value] of Object.entries(stored.headers))
    response.setHeader(canonical(name), value);
  response.setHeader(replayHeaderName, 'true');
  const file = new StreamableFile(body, {
    type: stored.headers['content-type'],
    length: body.length,
  });
  if (stored.headers['content-type'] === undefined) {
    // StreamableFile falls back to application/octet-stream; the original had no Content-Type.
    const headers = file.getHeaders.bind(file);
    file.getHeaders = () => ({ ...headers(), type: undefined as unknown as string });
  }
  return file;
}

/** Sets headers that must go out with an error the library throws, before Nest's filter sends it. */
export function setHeaders(
  response: ServerResponse,
  headers: Readonly<Record<string, string>>,
): void {
  if (response.headersSent) return;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
}

/** `content-type` -> `Content-Type`: stored lower-case, sent the way Express sends them. */
function canonical(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

function replayedHeaders(response: ServerResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.getHeader(name);
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}
