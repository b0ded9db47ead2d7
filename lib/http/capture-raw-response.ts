import type { ServerResponse } from 'node:http';
import type { StoredResponse } from '../store/idempotency-store.js';
import { CapturedBody, toBuffer } from './captured-body.js';
import { replayedHeaders } from './replayed-headers.js';

type Call = (...args: unknown[]) => unknown;

/**
 * Watches a Node.js response as it is written. When it ends, calls `onEnd` with its status,
 * replayed headers and body (`null` past `maxBytes`), and holds the end back, with the last byte
 * written before it, until `onEnd` settles: the client cannot see a complete answer, even one
 * whose `Content-Length` says so, before the store knows it. A response cut after it started (a
 * stream that failed, a client gone) is reported without a body: its handler ran, and its answer
 * cannot be replayed. Returns a function that stops watching and restores the response's methods.
 */
export function captureRawResponse(
  response: ServerResponse,
  maxBytes: number,
  onEnd: (sent: StoredResponse) => Promise<void>,
): () => void {
  const { writeHead, write, end } = response;
  const body = new CapturedBody(maxBytes);
  // Headers given to writeHead() are not always readable through getHeader() afterwards.
  const headHeaders = new Map<string, unknown>();
  let held: Buffer | undefined;
  let stopped = false;
  const head = (): Omit<StoredResponse, 'body'> => ({
    status: response.statusCode,
    headers: replayedHeaders((name) => headHeaders.get(name) ?? response.getHeader(name)),
  });
  const stop = (): void => {
    stopped = true;
    response.writeHead = writeHead;
    response.write = write;
    response.end = end;
  };

  response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const headers = args.find((arg, i) => i > 0 && typeof arg === 'object');
    recordHeaders(headHeaders, headers);
    return (writeHead as Call).apply(this, args);
  } as ServerResponse['writeHead'];

  response.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    const bytes = toBuffer(chunk, rest[0]);
    if (bytes === undefined || bytes.length === 0) {
      return (write as Call).call(this, chunk, ...rest);
    }
    body.add(bytes);
    // All but the last byte go out now, and the headers with them, as they would have.
    const now = held ? Buffer.concat([held, bytes.subarray(0, -1)]) : bytes.subarray(0, -1);
    held = bytes.subarray(-1);
    const callback = rest.find((arg) => typeof arg === 'function');
    return (write as Call).call(this, now, callback);
  } as ServerResponse['write'];

  response.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    stop();
    const bytes = toBuffer(chunk, rest[0]);
    if (bytes !== undefined) body.add(bytes);
    const finish = (): void => {
      if (held) (write as Call).call(this, held);
      (end as Call).call(this, chunk, ...rest);
    };
    onEnd({ ...head(), body: body.bytes }).then(finish, finish);
    return this;
  } as ServerResponse['end'];

  response.once('close', () => {
    if (stopped || !response.headersSent) return;
    stop();
    void onEnd({ ...head(), body: null });
  });

  return stop;
}

/** Headers as writeHead() takes them: an object, or a flat array of names and values. */
function recordHeaders(into: Map<string, unknown>, headers: unknown): void {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      into.set(String(headers[i]).toLowerCase(), headers[i + 1]);
    }
  } else if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) into.set(name.toLowerCase(), value);
  }
}
