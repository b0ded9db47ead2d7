import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import type { IdempotencyException } from '../errors/idempotency.exception.js';
import { PROBLEM_CONTENT_TYPE, REPLAYED_HEADERS } from '../idempotency.constants.js';
import type { StoredResponse } from '../store/idempotency-store.js';
import type { HttpExchange } from './http-exchange.interface.js';

/** What the library reads of an Express request. */
type ExpressRequest = IncomingMessage & {
  method: string;
  url: string;
  originalUrl?: string;
  route?: { path?: string };
  body?: unknown;
  app?: { get(name: string): unknown };
};

/** `HttpExchange` on `@nestjs/platform-express`. */
export class ExpressExchange implements HttpExchange {
  constructor(
    private readonly request: ExpressRequest,
    private readonly response: ServerResponse,
  ) {}

  get method(): string {
    return this.request.method;
  }

  get url(): string {
    return this.request.originalUrl ?? this.request.url;
  }

  get routePattern(): string {
    return this.request.route?.path ?? this.request.url.split('?')[0];
  }

  get body(): unknown {
    return this.request.body;
  }

  header(name: string): string | undefined {
    const value = this.request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  capture(maxBytes: number, onEnd: (sent: StoredResponse) => Promise<void>): void {
    const response = this.response;
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
      const sent: StoredResponse = {
        status: this.statusCode,
        headers: replayedHeaders(this),
        body: size <= maxBytes ? Buffer.concat(chunks) : null,
      };
      void onEnd(sent).finally(() =>
        (end as (...args: unknown[]) => void).call(this, chunk, ...rest),
      );
      return this;
    } as ServerResponse['end'];
  }

  expectedResponse(value: unknown): StoredResponse {
    const headers = replayedHeaders(this.response);
    let body: Buffer | null;
    if (value instanceof StreamableFile) {
      body = null;
    } else if (value === undefined || value === null) {
      body = Buffer.alloc(0);
    } else if (typeof value === 'object' && !Buffer.isBuffer(value)) {
      // Express's res.json(), with the app's own settings.
      const replacer = this.request.app?.get('json replacer') as
        ((key: string, value: unknown) => unknown) | undefined;
      const spaces = this.request.app?.get('json spaces') as number | string | undefined;
      body = Buffer.from(JSON.stringify(value, replacer, spaces) ?? '');
      headers['content-type'] ??= 'application/json; charset=utf-8';
    } else {
      body = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
      headers['content-type'] ??= 'text/html; charset=utf-8';
    }
    return { status: this.response.statusCode, headers, body };
  }

  /**
   * Writes the stored response itself, in one `end()`: its status, headers and bytes, untouched.
   * Nest then replies with the `undefined` this returns, which Express ignores on an ended
   * response.
   */
  replay(stored: StoredResponse, replayHeaderName: string): undefined {
    const body = stored.body ?? Buffer.alloc(0);
    const response = this.response;
    response.statusCode = stored.status;
    for (const [name, value] of Object.entries(stored.headers)) {
      response.setHeader(canonical(name), value);
    }
    response.setHeader(replayHeaderName, 'true');
    response.setHeader('Content-Length', body.length);
    response.end(body);
    return undefined;
  }

  sendProblem(exception: IdempotencyException): void {
    const response = this.response;
    if (response.headersSent) {
      if (!response.writableEnded) response.end();
      return;
    }
    const body = Buffer.from(JSON.stringify(exception.problem));
    // Headers a handler set for its own answer (a Location...) must not go out with the error.
    for (const name of REPLAYED_HEADERS) response.removeHeader(name);
    for (const [name, value] of Object.entries(exception.headers)) response.setHeader(name, value);
    response.statusCode = exception.getStatus();
    response.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    response.setHeader('Content-Length', body.length);
    response.end(body);
  }
}

/** `content-type` -> `Content-Type`: stored lower-case, sent the way Express sends them. */
function canonical(name: string): string {
  return CANONICAL_NAMES.get(name) ?? capitalized(name);
}

function capitalized(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

// Worked out once: every replay sends some of them.
const CANONICAL_NAMES = new Map<string, string>(
  REPLAYED_HEADERS.map((name) => [name, capitalized(name)]),
);

function replayedHeaders(response: ServerResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.getHeader(name);
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  return headers;
}
