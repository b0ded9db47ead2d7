import { pipeline, Transform, type Readable } from 'node:stream';
import type { StoredResponse } from '../store/idempotency-store.js';
import { CapturedBody, toBuffer } from './captured-body.js';

/** A reply whose response is to be captured, as `FastifyExchange.capture()` describes it. */
export interface FastifyCapture {
  maxBytes: number;
  onEnd: (sent: StoredResponse) => Promise<void>;
  /** The reply's status and replayed headers, read when its payload is handed over. */
  head(): Omit<StoredResponse, 'body'>;
  /** Stops watching the raw response, which sees what is sent around `reply.send()`. */
  stopRaw(): void;
}

type OnSendDone = (error: Error | null, payload?: unknown) => void;

/** What the captures need of the app's Fastify instance. */
export interface FastifyHooks {
  addHook(
    name: 'onSend',
    hook: (request: unknown, reply: object, payload: unknown, done: OnSendDone) => void,
  ): unknown;
}

/**
 * Captures Fastify responses in an `onSend` hook of the instance, where Fastify hands over a
 * reply's payload serialized and has written nothing yet; the answer waits there until the key
 * is settled. Fastify runs a route's own hooks after the instance's, `@fastify/compress`'s
 * included: the stored body is the route's, and each replay is compressed as its client asks.
 */
export class FastifyCaptures {
  private readonly pending = new WeakMap<object, FastifyCapture>();

  /** @throws Error from Fastify, when its instance has already started */
  install(instance: FastifyHooks): void {
    instance.addHook('onSend', (_request, reply, payload, done) =>
      this.onSend(reply, payload, done),
    );
  }

  watch(reply: object, capture: FastifyCapture): void {
    this.pending.set(reply, capture);
  }

  private onSend(reply: object, payload: unknown, done: OnSendDone): void {
    const capture = this.pending.get(reply);
    if (capture === undefined) return done(null, payload);
    if (typeof (payload as Readable | null)?.pipe === 'function') {
      this.take(reply, capture);
      return done(null, holdBack(payload as Readable, capture));
    }
    const bytes = payload === undefined || payload === null ? Buffer.alloc(0) : toBuffer(payload);
    // A web stream or Response: the raw capture sees its bytes as Fastify writes them.
    if (bytes === undefined) return done(null, payload);
    this.take(reply, capture);
    const send = (): void => done(null, payload);
    capture
      .onEnd(response(capture.head(), bytes.length <= capture.maxBytes ? bytes : null))
      .then(send, send);
  }

  private take(reply: object, capture: FastifyCapture): void {
    this.pending.delete(reply);
    capture.stopRaw();
  }
}

/**
 * The stream Fastify sends in place of a streamed payload: the same bytes, all but the last one
 * at once, that one once the key is settled. A stream that fails, or whose client goes away,
 * settles the key without a body: the handler ran, its answer cannot be replayed.
 */
function holdBack(source: Readable, capture: FastifyCapture): Readable {
  const head = capture.head();
  const body = new CapturedBody(capture.maxBytes);
  let held: Buffer | undefined;
  let settled = false;
  const settle = (bytes: Buffer | null): Promise<void> => {
    settled = true;
    return capture.onEnd(response(head, bytes));
  };
  const through = new Transform({
    transform(chunk: unknown, encoding, callback) {
      const bytes = toBuffer(chunk, encoding);
      if (bytes === undefined || bytes.length === 0) return callback();
      body.add(bytes);
      const now = held ? Buffer.concat([held, bytes.subarray(0, -1)]) : bytes.subarray(0, -1);
      held = bytes.subarray(-1);
      callback(null, now);
    },
    flush(callback) {
      const release = (): void => callback(null, held);
      settle(body.bytes).then(release, release);
    },
  });
  pipeline(source, through, (error) => {
    if (error && !settled) void settle(null);
  });
  return through;
}

/** Fastify sends neither a body nor a `Content-Type` with a 1xx or a 204. */
function response(head: Omit<StoredResponse, 'body'>, body: Buffer | null): StoredResponse {
  if (head.status >= 200 && head.status !== 204) return { ...head, body };
  const { 'content-type': _, ...headers } = head.headers;
  return { status: head.status, headers, body: Buffer.alloc(0) };
}
