import { Test } from '@nestjs/testing';
import {
  IdempotencyModule,
  IdempotencyService,
  type IdempotencyEvent,
  type IdempotencyModuleOptions,
} from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { EventLog, keyHashOf } from '../support/event-log.js';
import { delay } from '../support/delay.js';
import { Gate, gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { captureLogs, type CapturedLine } from '../support/log-capture.js';
import { expectProblem } from '../support/problem.js';
import { eventsModule } from '../fixtures/events/events.module.js';
import { SwitchableStore } from '../fixtures/events/switchable.store.js';

/** A clock the test moves by hand. */
class Clock {
  private ms = Date.UTC(2026, 0, 1);
  now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** What every event of `POST /orders` with `key` says, besides its outcome. */
function ordersFields(key: string, tenant?: string) {
  return {
    scope: 'POST /orders',
    route: 'POST /orders',
    tenant,
    keyHash: keyHashOf(key),
    mode: 'default',
    durationMs: expect.any(Number),
  };
}

/** Starts an app on the events fixture, and closes it after the enclosing describe. */
function useEventsApp(options: () => IdempotencyModuleOptions): () => TestApp {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await createTestApp(eventsModule(options()));
  });
  afterAll(async () => {
    gates.releaseAll();
    await app?.close();
  });
  beforeEach(() => calls.reset());
  return () => app!;
}

describe('events of the HTTP face (in-memory store)', () => {
  const clock = new Clock();
  const store = new SwitchableStore(clock.now);
  const log = new EventLog();
  const app = useEventsApp(() => ({
    store,
    ttl: '1h',
    lockTimeout: '30s',
    maxResponseBytes: 4096,
    onEvent: log.onEvent,
  }));
  beforeEach(() => store.reset());

  const post = (key: string, body: object = { a: 1 }, path = '/orders') =>
    app().http().post(path).set('Idempotency-Key', key).send(body);

  it('reports a first request as claimed, then completed with its status, naming its operation and tenant', async () => {
    const key = newKey();
    const started = performance.now();
    const response = await post(key).set('X-Tenant', 'acme');
    const elapsed = performance.now() - started;
    expect(response.status).toBe(201);
    expect(log.of(key)).toEqual([
      { outcome: 'claimed', ...ordersFields(key, 'acme') },
      { outcome: 'completed', status: 201, ...ordersFields(key, 'acme') },
    ]);
    // Each is timed from its request's claim, within the round trip.
    for (const event of log.of(key)) {
      expect(event.durationMs).toBeGreaterThanOrEqual(0);
      expect(event.durationMs).toBeLessThanOrEqual(elapsed);
    }
  });

  it('reports a retry as replayed, with the stored status', async () => {
    const key = newKey();
    await post(key);
    const retry = await post(key);
    expect(retry.headers['idempotent-replay']).toBe('true');
    expect(log.of(key)).toEqual([
      expect.objectContaining({ outcome: 'claimed' }),
      expect.objectContaining({ outcome: 'completed' }),
      { outcome: 'replayed', status: 201, ...ordersFields(key) },
    ]);
  });

  it('reports the key sent with another body as key_reused', async () => {
    const key = newKey();
    await post(key, { a: 1 });
    expectProblem(await post(key, { a: 2 }), 409, 'idempotency_key_reused');
    expect(log.outcomesOf(key)).toEqual(['claimed', 'completed', 'key_reused']);
    expect(log.of(key)[2]).toEqual({ outcome: 'key_reused', ...ordersFields(key) });
  });

  it('reports in_use while the first runs, taken_over past lockTimeout, and nothing for the late first completion', async () => {
    const key = newKey();
    const gate = gates.create('events-held');
    const first = post(key)
      .set('X-Gate', 'events-held')
      .then((r) => r);
    await gate.entered;

    clock.advance(29);
    expectProblem(await post(key), 409, 'idempotency_key_in_use');
    clock.advance(1);
    expect((await post(key)).status).toBe(201);
    expect(log.of(key)).toEqual([
      { outcome: 'claimed', ...ordersFields(key) },
      { outcome: 'in_use', ...ordersFields(key) },
      { outcome: 'taken_over', ...ordersFields(key) },
      { outcome: 'completed', status: 201, ...ordersFields(key) },
    ]);

    gate.release();
    expect((await first).status).toBe(201);
    // Its completion was fenced out: the key is the second request's, which already reported.
    expect(log.outcomesOf(key)).toEqual(['claimed', 'in_use', 'taken_over', 'completed']);
  });

  it('does not report an expired key claimed again as taken over', async () => {
    const key = newKey();
    await post(key);
    clock.advance(3600);
    expect((await post(key)).headers['idempotent-replay']).toBeUndefined();
    expect(log.outcomesOf(key)).toEqual(['claimed', 'completed', 'claimed', 'completed']);
  });

  it('reports a 5xx as released, with the status that went out', async () => {
    const key = newKey();
    expect((await post(key, {}, '/orders/failing')).status).toBe(500);
    expect(log.of(key)).toEqual([
      expect.objectContaining({ outcome: 'claimed', scope: 'POST /orders/failing' }),
      expect.objectContaining({ outcome: 'released', status: 500 }),
    ]);
  });

  it('reports the store unreachable at the claim as store_unavailable at "claim", and nothing more', async () => {
    store.claimsDown = true;
    const key = newKey();
    expectProblem(await post(key), 503, 'idempotency_store_unavailable');
    expect(log.of(key)).toEqual([
      { outcome: 'store_unavailable', stage: 'claim', ...ordersFields(key) },
    ]);
  });

  it('reports the store unreachable after the handler as store_unavailable at "settle"; the answer still goes out', async () => {
    const key = newKey();
    store.settlesDown = true;
    expect((await post(key)).status).toBe(201);
    expect(log.of(key)).toEqual([
      { outcome: 'claimed', ...ordersFields(key) },
      { outcome: 'store_unavailable', stage: 'settle', ...ordersFields(key) },
    ]);
  });

  it('reports a retry of a response too large to store as response_unavailable', async () => {
    const key = newKey();
    expect((await post(key, { size: 5000 }, '/orders/large')).status).toBe(201);
    expectProblem(
      await post(key, { size: 5000 }, '/orders/large'),
      409,
      'idempotency_response_unavailable',
    );
    expect(log.outcomesOf(key)).toEqual(['claimed', 'completed', 'response_unavailable']);
  });

  it('names the route pattern, and the scope that @Idempotent gives', async () => {
    const [pay, upsert] = [newKey(), newKey()];
    await post(pay, {}, '/orders/7/pay');
    await app().http().put('/orders/upsert').set('Idempotency-Key', upsert).send({});
    expect(log.of(pay)[0]).toMatchObject({
      scope: 'POST /orders/:id/pay',
      route: 'POST /orders/:id/pay',
    });
    expect(log.of(upsert)[0]).toMatchObject({
      scope: 'orders.upsert',
      route: 'PUT /orders/upsert',
    });
  });

  it('reports nothing for a request without a key or with a malformed one', async () => {
    const before = log.events.length;
    expect((await app().http().post('/orders/optional').send({})).status).toBe(201);
    expectProblem(await post('bad key'), 400, 'idempotency_key_invalid');
    expectProblem(
      await app().http().post('/orders/required').send({}),
      400,
      'idempotency_key_missing',
    );
    expect(log.events.length).toBe(before);
  });
});

// The heartbeat runs every third of lockTimeout (100 ms here); the tests wait for renewals and
// events to happen, never for a time.
describe('renewal_failed', () => {
  const store = new SwitchableStore();
  const log = new EventLog();
  const app = useEventsApp(() => ({ store, lockTimeout: 0.3, onEvent: log.onEvent }));
  afterEach(() => store.reset());

  /** Resolves after `count` more renewals have been asked of the store. */
  function renewals(count: number): Promise<void> {
    const target = store.renewalCount + count;
    return new Promise((resolve) => {
      store.onRenewal = () => {
        if (store.renewalCount >= target) resolve();
      };
    });
  }

  async function hold(key: string, gateName: string) {
    const gate = gates.create(gateName);
    const response = app()
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .set('X-Gate', gateName)
      .send({})
      .then((r) => r);
    await gate.entered;
    return { gate, response };
  }

  it('reports a refused renewal once, as taken_over', async () => {
    const key = newKey();
    store.renewals = 'refused';
    const { gate, response } = await hold(key, 'renewal-refused');
    await log.next(key, 'renewal_failed');
    // The key is another request's: the heartbeat stops (a renewal would come every 100 ms).
    const asked = store.renewalCount;
    await delay(500);
    expect(store.renewalCount).toBe(asked);
    gate.release();
    expect((await response).status).toBe(201);
    expect(log.of(key)).toEqual([
      expect.objectContaining({ outcome: 'claimed' }),
      { outcome: 'renewal_failed', reason: 'taken_over', ...ordersFields(key) },
      expect.objectContaining({ outcome: 'completed' }),
    ]);
  });

  it('reports failing renewals once per lapse, as store_unavailable: again only after one worked', async () => {
    const key = newKey();
    store.renewals = 'down';
    const { gate, response } = await hold(key, 'renewal-down');
    await log.next(key, 'renewal_failed');
    await renewals(2);
    expect(log.outcomesOf(key)).toEqual(['claimed', 'renewal_failed']);

    store.renewals = 'ok';
    await renewals(1);
    store.renewals = 'down';
    await renewals(2);
    gate.release();
    expect((await response).status).toBe(201);
    expect(log.of(key)).toEqual([
      expect.objectContaining({ outcome: 'claimed' }),
      { outcome: 'renewal_failed', reason: 'store_unavailable', ...ordersFields(key) },
      { outcome: 'renewal_failed', reason: 'store_unavailable', ...ordersFields(key) },
      expect.objectContaining({ outcome: 'completed' }),
    ]);
  });

  it.each(['ok', 'down'] as const)(
    'renews no more once the key is completed, also when a renewal in flight ends after that (store %s)',
    async (renewals) => {
      const key = newKey();
      const late = new Gate();
      store.renewalAnswer = late;
      const { gate, response } = await hold(key, `renewal-late-${renewals}`);
      await late.entered;
      store.renewalAnswer = undefined;
      gate.release();
      expect((await response).status).toBe(201);
      await log.next(key, 'completed');
      const asked = store.renewalCount;
      // The renewal runs now: it finds the key completed (refused), or the store down.
      store.renewals = renewals;
      late.release();
      // Nothing to wait for but time: a heartbeat that went on would renew every 100 ms, and
      // report a take-over or the store's failure.
      await delay(500);
      expect(store.renewalCount).toBe(asked);
      expect(log.outcomesOf(key)).toEqual(['claimed', 'completed']);
    },
  );
});

describe('an onEvent that throws', () => {
  let logs: { lines: CapturedLine[]; stop: () => void };
  const app = useEventsApp(() => ({
    store: new SwitchableStore(),
    onEvent: () => {
      throw new Error('listener bug');
    },
  }));
  beforeAll(() => {
    logs = captureLogs();
  });
  afterAll(() => logs.stop());

  it('does not break the request: it runs once and replays; each outcome logs the failure once', async () => {
    for (const key of [newKey(), newKey()]) {
      const first = await app().http().post('/orders').set('Idempotency-Key', key).send({});
      const retry = await app().http().post('/orders').set('Idempotency-Key', key).send({});
      expect(first.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBe('true');
      expect(retry.text).toBe(first.text);
    }
    expect(calls.of('create')).toBe(2);
    const failures = logs.lines.filter((line) => line.text.includes('onEvent'));
    expect(failures.map(({ level, context }) => ({ level, context }))).toEqual(
      Array(3).fill({ level: 'error', context: 'Idempotency' }),
    );
    expect(
      failures.map((line) => line.text.match(/on a "(\w+)" event: listener bug/)?.[1]),
    ).toEqual(['claimed', 'completed', 'replayed']);
  });
});

describe('an async onEvent that rejects', () => {
  let logs: { lines: CapturedLine[]; stop: () => void };
  const app = useEventsApp(() => ({
    store: new SwitchableStore(),
    onEvent: async () => {
      throw new Error('async listener bug');
    },
  }));
  beforeAll(() => {
    logs = captureLogs();
  });
  afterAll(() => logs.stop());

  it('does not break the request, and its rejection is logged, not left unhandled', async () => {
    const key = newKey();
    expect((await app().http().post('/orders').set('Idempotency-Key', key).send({})).status).toBe(
      201,
    );
    expect(logs.lines.some((line) => line.text.includes('async listener bug'))).toBe(true);
  });
});

describe('the raw key', () => {
  const clock = new Clock();
  const store = new SwitchableStore(clock.now);
  const log = new EventLog();
  let logs: { lines: CapturedLine[]; stop: () => void };
  const app = useEventsApp(() => ({
    store,
    lockTimeout: 0.3,
    onEvent: log.onEvent,
  }));
  beforeAll(() => {
    logs = captureLogs();
  });
  afterAll(() => logs.stop());

  it('never appears in events or log lines, whatever the outcome; the debug log has one line per event', async () => {
    const key = newKey('raw-key-never-logged');
    const post = (body: object = {}, path = '/orders') =>
      app().http().post(path).set('Idempotency-Key', key).send(body);
    const gate = gates.create('raw-key-held');
    store.renewals = 'refused';
    const held = post()
      .set('X-Gate', 'raw-key-held')
      .then((r) => r);
    await gate.entered;
    await log.next(key, 'renewal_failed'); // a warning names the key
    await post(); // in_use
    clock.advance(1);
    await post(); // taken_over, completed
    gate.release();
    await held; // its completion is fenced out: a warning names the key
    await post(); // replayed
    await post({ other: true }); // key_reused
    await post({}, '/orders/failing'); // claimed, released
    store.settlesDown = true;
    await post({}, '/orders/rejected'); // claimed, store_unavailable at settle (logged as an error)
    store.settlesDown = false;
    store.claimsDown = true;
    await post({}, '/orders/text'); // store_unavailable at claim (logged as an error)
    store.reset();

    expect(new Set(log.events.map((event) => event.outcome))).toEqual(
      new Set([
        'claimed',
        'renewal_failed',
        'in_use',
        'taken_over',
        'completed',
        'replayed',
        'key_reused',
        'released',
        'store_unavailable',
      ]),
    );
    expect(JSON.stringify(log.events)).not.toContain(key);
    expect(logs.lines.length).toBeGreaterThan(log.events.length);
    for (const line of logs.lines) expect(line.text).not.toContain(key);
    expect(logs.lines.filter((line) => line.level === 'warn').length).toBeGreaterThanOrEqual(2);

    const debug = logs.lines.filter((line) => line.level === 'debug');
    expect(debug.length).toBe(log.events.length);
    expect(debug.every((line) => line.context === 'Idempotency')).toBe(true);
    expect(debug[0].text).toMatch(
      new RegExp(
        `^outcome=claimed scope="POST /orders" route="POST /orders" key_hash=${keyHashOf(key)} mode=default duration_ms=\\d+\\.\\d$`,
      ),
    );
    // An event's own details (here the status) come before its duration.
    expect(debug.map((line) => line.text)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^outcome=completed scope="POST /orders" route="POST /orders" key_hash=${keyHashOf(key)} mode=default status=201 duration_ms=\\d+\\.\\d$`,
        ),
      ),
    );
  });
});

describe('events of IdempotencyService', () => {
  const log = new EventLog();
  let service: IdempotencyService;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [IdempotencyModule.forRoot({ store: new SwitchableStore(), onEvent: log.onEvent })],
    }).compile();
    await moduleRef.init();
    service = moduleRef.get(IdempotencyService);
    close = () => moduleRef.close();
  });
  afterAll(() => close?.());

  const fields = (key: string) => ({
    scope: 'orders.paid',
    route: undefined,
    tenant: undefined,
    keyHash: keyHashOf(key),
    mode: 'default' as const,
    durationMs: expect.any(Number),
  });

  it('reports claimed and completed (200), then replayed', async () => {
    const key = newKey();
    await service.run('orders.paid', key, async () => ({ ok: true }));
    await service.run('orders.paid', key, async () => ({ ok: false }));
    expect(log.of(key)).toEqual<IdempotencyEvent[]>([
      { outcome: 'claimed', ...fields(key) },
      { outcome: 'completed', status: 200, ...fields(key) },
      { outcome: 'replayed', status: 200, ...fields(key) },
    ]);
  });

  it('reports work that throws as released, with no status', async () => {
    const key = newKey();
    await expect(
      service.run('orders.paid', key, async () => {
        throw new Error('downstream failed');
      }),
    ).rejects.toThrow('downstream failed');
    expect(log.of(key)).toEqual<IdempotencyEvent[]>([
      { outcome: 'claimed', ...fields(key) },
      { outcome: 'released', status: undefined, ...fields(key) },
    ]);
  });
});
