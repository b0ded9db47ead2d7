import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import type { IdempotencyException } from '../errors/idempotency.exception.js';
import { PROBLEM_CONTENT_TYPE, REPLAYED_HEADERS } from '../idempotency.constants.js';
import type { StoredResponse } from '../store/idempotency-store.js';
import { captureRawResponse } from './capture-raw-response.js';
import type { HttpExchange } from './http-exchange.interface.js';
import { replayFile, type ReplayFile } from './replay-file.js';
import { replayedHeaders } from './replayed-headers.js';

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

  /** Express writes every response through `res.write()` / `res.end()`: watched there. */
  capture(maxBytes: number, onEnd: (sent: StoredResponse) => Promise<void>): void {
    captureRawResponse(this.response, maxBytes, onEnd);
  }

  /** What Nest's Express adapter sends for a handler's value: `res.json()` or `res.send()`. */
  expectedResponse(value: unknown): StoredResponse {
    const headers = replayedHeaders((name) => this.response.getHeader(name));
    const type = headers['content-type'];
    let body: Buffer | null;
    if (value instanceof StreamableFile) {
      body = null;
    } else if (value === undefined || value === null) {
      body = Buffer.alloc(0);
    } else if (typeof value === 'object') {
      body = Buffer.from(this.json(value));
      headers['content-type'] = withUtf8(type ?? 'application/json');
    } else {
      body = Buffer.from(String(value));
      headers['content-type'] = type === undefined ? 'text/html; charset=utf-8' : withUtf8(type);
    }
    const status = this.response.statusCode;
    if (status !== 204 && status !== 304) return { status, headers, body };
    // res.send() sends these without a body, and drops the type it was given.
    const { 'content-type': _, ...withoutType } = headers;
    return { status, headers: withoutType, body: Buffer.alloc(0) };
  }

  /**
   * Status and headers are set here; the adapter's `reply()` sends the bytes with one `end()`
   * (`sendReplaysDirectly()`), else Nest sends them untouched as the `StreamableFile` it is.
   */
  replay(stored: StoredResponse, replayHeaderName: string): ReplayFile {
    return replayFile(this.response, stored, replayHeaderName);
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

  /** Express's res.json(), with the app's own settings. */
  private json(value: object): string {
    const app = this.request.app;
    const replacer = app?.get('json replacer') as
      ((key: string, value: unknown) => unknown) | undefined;
    const json =
      JSON.stringify(value, replacer, app?.get('json spaces') as number | undefined) ?? '';
    if (!app?.get('json escape')) return json;
    return json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  }
}

/**
 * Express's res.send() sets `charset=utf-8` on the type of a text body, whatever it was, and
 * writes the type again as its `content-type` package does: names in lower case, the first of a
 * repeated parameter kept, values quoted only where they must be.
 */
function withUtf8(type: string): string {
  const [mediaType, ...parameters] = type.split(';').map((part) => part.trim());
  const named = new Map<string, string>();
  for (const parameter of parameters) {
    const at = parameter.indexOf('=');
    if (at <= 0) continue;
    const name = parameter.slice(0, at).trim().toLowerCase();
    if (!named.has(name)) named.set(name, unquote(parameter.slice(at + 1).trim()));
  }
  named.set('charset', 'utf-8');
  const formatted = [...named].map(([name, value]) => `${name}=${quoteIfNeeded(value)}`);
  return [mediaType.toLowerCase(), ...formatted].join('; ');
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A quoted-string's value: its escapes undone, anything after its closing quote dropped. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let unquoted = '';
  for (let i = 1; i < value.length && value[i] !== '"'; i++) {
    if (value[i] === '\\' && i + 1 < value.length) i++;
    unquoted += value[i];
  }
  return unquoted;
}

/** A parameter value as `content-type` writes it: bare if it is a token, else a quoted-string. */
function quoteIfNeeded(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
