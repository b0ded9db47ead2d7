import { Module, type Type } from '@nestjs/common';
import {
  IdempotencyModule,
  InMemoryIdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type IdempotencyModuleOptions,
  type StoredResponse,
} from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { Gate, gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { OrdersController, QuantityPipe } from '../fixtures/orders/orders.controller.js';

/** A clock the test moves by hand. */
class Clock {
  private ms = Date.UTC(2026, 0, 1);
  now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** The real in-memory store, with a switch that makes it unreachable and a gate on completions. */
class SwitchableStore extends InMemoryIdempotencyStore {
  down = false;
  /** The next completion waits here. */
  completion?: Gate;
  override async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    if (this.down) throw new Error('connection refused');
    return super.claim(request);
  }
  override async complete(claim: Claim, response: StoredResponse): Promise<boolean> {
    const gate = this.completion;
    this.completion = undefined;
    await gate?.pass();
    return super.complete(claim, response);
  }
}

function inMemoryModule(options: IdempotencyModuleOptions): Type<unknown> {
  @Module({
    imports: [IdempotencyModule.forRoot(options)],
    controllers: [OrdersController],
    providers: [QuantityPipe],
  })
  class InMemoryModule {}
  return InMemoryModule;
}

// The interceptor against the in-memory store: no database, and time moved by an injected clock.
describe('IdempotencyInterceptor with InMemoryIdempotencyStore', () => {
  const clock = new Clock();
  const store = new SwitchableStore(clock.now);
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(inMemoryModule({ store, ttl: '1h', lockTimeout: '30s' }));
  });
  afterAll(async () => {
    gates.releaseAll();
    await app?.close();
  });
  beforeEach(() => {
    calls.reset();
    store.down = false;
  });

  const post = (key: string, body: object = { a: 1 }) =>
    app.http().post('/orders').set('Idempotency-Key', key).send(body);

  it('runs once and replays', async () => {
    const key = newKey();
    const first = await post(key);
    const second = await post(key);
    expect(first.headers['idempotent-replay']).toBeUndefined();
    expect(second.headers['idempotent-replay']).toBe('true');
    expect(second.text).toBe(first.text);
    expect(calls.of('create')).toBe(1);
  });

  it('answers 409 idempotency_key_reused to another body', async () => {
    const key = newKey();
    await post(key, { a: 1 });
    expectProblem(await post(key, { a: 2 }), 409, 'idempotency_key_reused');
    expect(calls.of('create')).toBe(1);
  });

  it('forgets a completed key once the clock passes its ttl, and not before', async () => {
    const key = newKey();
    await post(key);
    clock.advance(3599);
    expect((await post(key)).headers['idempotent-replay']).toBe('true');
    clock.advance(1);
    const after = await post(key);
    expect(after.headers['idempotent-replay']).toBeUndefined();
    expect(after.body.n).toBe(2);
    expect(calls.of('create')).toBe(2);
  });

  it('uses the route ttl of @Idempotent({ ttl: 1 })', async () => {
    const key = newKey();
    const send = () => app.http().post('/orders/short-lived').set('Idempotency-Key', key).send({});
    await send();
    expect((await send()).headers['idempotent-replay']).toBe('true');
    clock.advance(1);
    expect((await send()).headers['idempotent-replay']).toBeUndefined();
    expect(calls.of('short-lived')).toBe(2);
  });

  it('answers 409 idempotency_key_in_use while the first runs, until the lock timeout; then a retry takes over', async () => {
    const key = newKey();
    const gate = gates.create('mem-held');
    const first = app
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .set('X-Gate', 'mem-held')
      .send({ a: 1 })
      .then((r) => r);
    await gate.entered;

    clock.advance(29);
    const busy = await post(key);
    expectProblem(busy, 409, 'idempotency_key_in_use');
    expect(busy.headers['retry-after']).toBe('1');
    expect(calls.of('create')).toBe(1);

    clock.advance(1);
    const takeover = await post(key);
    expect(takeover.status).toBe(201);
    expect(takeover.headers['idempotent-replay']).toBeUndefined();
    expect(takeover.body.n).toBe(2);

    gate.release();
    expect((await first).body.n).toBe(1);
    // The late first completion was fenced out: retries replay the second.
    const retry = await post(key);
    expect(retry.text).toBe(takeover.text);
    expect(calls.of('create')).toBe(2);
  });

  it.each([
    ['a JSON body', '/orders'],
    ['a streamed body with a Content-Length (StreamableFile)', '/orders/export'],
    ['a stream whose last chunk is empty, with a Content-Length', '/orders/export-trailing-empty'],
  ])('holds %s back until its key is completed', async (_, path) => {
    const key = newKey();
    const send = () => app.http().post(path).set('Idempotency-Key', key).send({ a: 1 });
    const completion = (store.completion = new Gate());
    let answered = false;
    const first = send().then((response) => {
      answered = true;
      return response;
    });
    await completion.entered;
    // A whole round trip: had the first answer gone out, its client would have it by now.
    expectProblem(await send(), 409, 'idempotency_key_in_use');
    expect(answered).toBe(false);

    completion.release();
    const own = await first;
    expect(own.status).toBe(201);
    const replay = await send();
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.text).toBe(own.text);
  });

  it('releases the key after a 5xx', async () => {
    const key = newKey();
    const send = () => app.http().post('/orders/failing').set('Idempotency-Key', key).send({});
    expect((await send()).status).toBe(500);
    expect((await send()).status).toBe(500);
    expect(calls.of('failing')).toBe(2);
  });

  it('answers 503 idempotency_store_unavailable, without running the handler, while the store fails', async () => {
    store.down = true;
    const key = newKey();
    expectProblem(await post(key), 503, 'idempotency_store_unavailable');
    expect(calls.of('create')).toBe(0);
    store.down = false;
    expect((await post(key)).status).toBe(201);
    expect(calls.of('create')).toBe(1);
  });

  it('purgeExpired() deletes what the clock says is expired', async () => {
    clock.advance(7200); // every earlier test's key is past its ttl now
    await store.purgeExpired();
    const [old, fresh] = [newKey(), newKey()];
    await post(old);
    clock.advance(1800);
    await post(fresh);
    clock.advance(1800);
    expect(await store.purgeExpired()).toBe(1);
    expect((await post(fresh)).headers['idempotent-replay']).toBe('true');
  });
});
