import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import type { IdempotencyException } from '../errors/idempotency.exception.js';
import { PROBLEM_CONTENT_TYPE, REPLAYED_HEADERS } from '../idempotency.constants.js';
import type { StoredResponse } from '../store/idempotency-store.js';
import { captureRawResponse } from './capture-raw-response.js';
import type { FastifyCaptures } from './fastify-captures.js';
import type { HttpExchange } from './http-exchange.interface.js';
import { replayFile, type ReplayFile } from './replay-file.js';
import { replayedHeaders } from './replayed-headers.js';

/** What the library reads of a Fastify request. */
interface FastifyRequest {
  method: string;
  url: string;
  originalUrl?: string;
  routeOptions?: { url?: string };
  body?: unknown;
  headers: IncomingHttpHeaders;
}

/** What the library uses of a Fastify reply. */
interface FastifyReply {
  raw: ServerResponse;
  statusCode: number;
  sent: boolean;
  code(statusCode: number): FastifyReply;
  getHeader(name: string): unknown;
  removeHeader(name: string): FastifyReply;
  serialize(payload: unknown): string;
  send(payload?: unknown): FastifyReply;
}

/**
 * `HttpExchange` on `@nestjs/platform-fastify` (Fastify 5). Headers the library sends itself
 * are set on `reply.raw`, where Fastify keeps their capitals, as Express does.
 */
export class FastifyExchange implements HttpExchange {
  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly captures: FastifyCaptures,
  ) {}

  get method(): string {
    return this.request.method;
  }

  get url(): string {
    return this.request.originalUrl ?? this.request.url;
  }

  /** Fastify 5 gives the matched route as `routeOptions.url` (its `routerPath` is gone). */
  get routePattern(): string {
    return this.request.routeOptions?.url ?? this.request.url.split('?')[0];
  }

  get body(): unknown {
    return this.request.body;
  }

  header(name: string): string | undefined {
    const value = this.request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /**
   * In Fastify's `onSend` hook (`FastifyCaptures`); a response written around `reply.send()`
   * (on `reply.raw`, or after `reply.hijack()`) is watched on the raw response, as on Express.
   */
  capture(maxBytes: number, onEnd: (sent: StoredResponse) => Promise<void>): void {
    const stopRaw = captureRawResponse(this.reply.raw, maxBytes, onEnd);
    this.captures.watch(this.reply, {
      maxBytes,
      onEnd,
      stopRaw,
      head: () => ({ status: this.reply.statusCode, headers: this.replayedHeaders() }),
    });
  }

  /** What `reply.send()` makes of a handler's value, as Nest's Fastify adapter passes it on. */
  expectedResponse(value: unknown): StoredResponse {
    const status = this.reply.statusCode;
    const headers = this.replayedHeaders();
    const type = headers['content-type'];
    let body: Buffer | null;
    if (value instanceof StreamableFile) {
      body = null;
    } else if (value === undefined) {
      body = Buffer.alloc(0);
    } else if (value instanceof Uint8Array) {
      body = Buffer.from(value);
      headers['content-type'] = type ?? 'application/octet-stream';
    } else if (typeof value === 'string') {
      body = Buffer.from(value);
      headers['content-type'] =
        type === undefined ? 'text/plain; charset=utf-8' : withCharset(type);
    } else {
      // Through the route's serializer (a response schema, setReplySerializer...), as send() does.
      body = Buffer.from(this.reply.serialize(value));
      headers['content-type'] = withCharset(type ?? 'application/json');
    }
    if (status >= 200 && status !== 204) return { status, headers, body };
    const { 'content-type': _, ...withoutType } = headers;
    return { status, headers: withoutType, body: Buffer.alloc(0) };
  }

  replay(stored: StoredResponse, replayHeaderName: string): ReplayFile {
    // Left on the reply, these would go out over the raw response's, in lower case.
    for (const name of [...REPLAYED_HEADERS, 'content-length']) this.reply.removeHeader(name);
    return replayFile(this.reply.raw, stored, replayHeaderName);
  }

  sendProblem(exception: IdempotencyException): void {
    const { reply } = this;
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    // Headers a handler set for its own answer (a Location...) must not go out with the error.
    for (const name of REPLAYED_HEADERS) reply.removeHeader(name);
    for (const [name, value] of Object.entries(exception.headers)) {
      reply.removeHeader(name);
      reply.raw.setHeader(name, value);
    }
    reply.raw.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    // A Buffer goes out as it is: no serializer, and no charset added to its type.
    reply.code(exception.getStatus()).send(Buffer.from(JSON.stringify(exception.problem)));
  }

  private replayedHeaders(): Record<string, string> {
    return replayedHeaders((name) => this.reply.getHeader(name));
  }
}

/**
 * Fastify's rule for a JSON type without a charset (`application/vnd.acme+json`): it sends
 * it with `; charset=utf-8`, its parameters quoted.
 */
function withCharset(type: string): string {
  const [mediaType, ...parameters] = type.split(';').map((part) => part.trim());
  if (!mediaType.toLowerCase().includes('json') || parameters.some((p) => /^charset=/i.test(p))) {
    return type;
  }
  const quoted = parameters
    .filter((parameter) => parameter.includes('='))
    .map((parameter) => {
      const at = parameter.indexOf('=');
      const value = parameter.slice(at + 1).replace(/^"|"$/g, '');
      return `${parameter.slice(0, at).toLowerCase()}="${value}"`;
    });
  return [mediaType.toLowerCase(), ...quoted, 'charset=utf-8'].join('; ');
}
