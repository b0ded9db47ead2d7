import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { EventLog, keyHashOf } from '../support/event-log.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { SwitchableStore } from '../fixtures/events/switchable.store.js';
import { tracedModule } from '../fixtures/events/traced.module.js';

// The SDKs an app would register, exporting to memory: metrics on demand (forceFlush), spans as
// each ends. The library finds them through @opentelemetry/api's globals, as in an app.
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const spanExporter = new InMemorySpanExporter();
const meterProvider = new MeterProvider({ readers: [reader] });
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spanExporter)],
});
const contextManager = new AsyncLocalStorageContextManager().enable();

/** The exported data points of one instrument, with its descriptor. */
async function exported(name: string): Promise<MetricData | undefined> {
  await reader.forceFlush();
  const latest = metricExporter.getMetrics().at(-1);
  return latest?.scopeMetrics
    .filter((scope) => scope.scope.name === 'nestjs-idempotency')
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === name);
}

/** A counter's values by the attributes given, e.g. `{ outcome: ... }` -> value. */
function countsBy(metric: MetricData | undefined, attribute: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const point of (metric?.dataPoints ?? []) as DataPoint<number>[]) {
    const name = String(point.attributes[attribute]);
    counts[name] = (counts[name] ?? 0) + point.value;
  }
  return counts;
}

/**
 * The request spans of `key`, once `count` have ended (a span ends as its response finishes).
 * Bounded, so that a span that never comes fails the test instead of hanging it.
 */
async function spansOf(key: string, count = 1): Promise<ReadableSpan[]> {
  const hash = keyHashOf(key);
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const spans = spanExporter
      .getFinishedSpans()
      .filter((span) => span.attributes['idempotency.key.hash'] === hash);
    if (spans.length >= count) return spans;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`fewer than ${count} spans of the key's requests ended within 20 s`);
}

describe('OpenTelemetry, with @opentelemetry/api installed and an SDK registered', () => {
  const store = new SwitchableStore();
  const log = new EventLog();
  const keys = {
    first: newKey(),
    failing: newKey(),
    held: newKey(),
    unsettled: newKey(),
    refused: newKey(),
    raw: [] as string[],
  };
  let app: TestApp;

  beforeAll(async () => {
    metrics.setGlobalMeterProvider(meterProvider);
    trace.setGlobalTracerProvider(tracerProvider);
    context.setGlobalContextManager(contextManager);
    app = await createTestApp(tracedModule({ store, lockTimeout: 0.3, onEvent: log.onEvent }));

    const post = (key: string, body: object = {}, path = '/orders') =>
      app.http().post(path).set('Idempotency-Key', key).send(body);
    await post(keys.first); // claimed, completed
    await post(keys.first); // replayed
    await post(keys.first, { other: true }); // key_reused
    await post(keys.failing, {}, '/orders/failing'); // claimed, released
    store.renewals = 'refused';
    const gate = gates.create('otel-held');
    const held = post(keys.held)
      .set('X-Gate', 'otel-held')
      .then((r) => r);
    await gate.entered;
    await log.next(keys.held, 'renewal_failed');
    gate.release();
    await held; // claimed, renewal_failed, completed
    store.renewals = 'ok';
    store.settlesDown = true;
    await post(keys.unsettled); // claimed, then store_unavailable at "settle"
    await log.next(keys.unsettled, 'store_unavailable');
    store.settlesDown = false;
    store.claimsDown = true;
    await post(keys.refused); // store_unavailable at "claim"
    store.claimsDown = false;
    keys.raw.push(keys.first, keys.failing, keys.held, keys.unsettled, keys.refused);
  });
  afterAll(async () => {
    gates.releaseAll();
    await app?.close();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    contextManager.disable();
    metrics.disable();
    trace.disable();
    context.disable();
  });

  it("sets the request's answer on the active span: outcome, replayed, scope, mode, key hash", async () => {
    const common = {
      'idempotency.scope': 'POST /orders',
      'idempotency.mode': 'default',
      'idempotency.key.hash': keyHashOf(keys.first),
    };
    const spans = await spansOf(keys.first, 3);
    expect(spans.map((span) => span.attributes)).toEqual([
      { ...common, 'idempotency.outcome': 'claimed', 'idempotency.replayed': false },
      { ...common, 'idempotency.outcome': 'replayed', 'idempotency.replayed': true },
      { ...common, 'idempotency.outcome': 'key_reused', 'idempotency.replayed': false },
    ]);
    expect((await spansOf(keys.failing))[0].attributes['idempotency.scope']).toBe(
      'POST /orders/failing',
    );
  });

  it('counts requests by their answer, and claimed operations by how they ended', async () => {
    const requests = await exported('idempotency.requests');
    expect(requests?.descriptor).toMatchObject({ unit: '{request}' });
    // A store unreachable at the claim answers the request; at the settling, it ends an
    // operation whose request was counted as claimed.
    expect(countsBy(requests, 'idempotency.outcome')).toEqual({
      claimed: 4,
      replayed: 1,
      key_reused: 1,
      store_unavailable: 1,
    });
    const operations = await exported('idempotency.operations');
    expect(operations?.descriptor).toMatchObject({ unit: '{operation}' });
    expect(countsBy(operations, 'idempotency.outcome')).toEqual({
      completed: 2,
      released: 1,
      store_unavailable: 1,
    });
    const lapses = await exported('idempotency.lease.renewal_failures');
    expect(lapses?.descriptor).toMatchObject({ unit: '{failure}' });
    expect(countsBy(lapses, 'error.type')).toEqual({ taken_over: 1 });
    for (const point of requests!.dataPoints) {
      expect(Object.keys(point.attributes).sort()).toEqual([
        'idempotency.mode',
        'idempotency.outcome',
        'idempotency.scope',
      ]);
    }
  });

  it('records how long each claim took, in seconds, in idempotency.claim.duration', async () => {
    const histogram = await exported('idempotency.claim.duration');
    expect(histogram?.descriptor).toMatchObject({ unit: 's' });
    const points = histogram!.dataPoints as DataPoint<Histogram>[];
    expect(points.reduce((total, point) => total + point.value.count, 0)).toBe(7);
    for (const point of points) {
      expect(point.value.sum).toBeGreaterThan(0);
      expect(point.value.max).toBeLessThan(1); // seconds, not milliseconds
      expect(point.value.buckets.boundaries).toContain(0.005);
    }
  });

  it('puts the raw key in no attribute of a span or a metric', async () => {
    await Promise.all(keys.raw.map((key) => spansOf(key)));
    const attributes: Attributes[] = spanExporter.getFinishedSpans().map((span) => span.attributes);
    for (const name of [
      'idempotency.requests',
      'idempotency.operations',
      'idempotency.lease.renewal_failures',
      'idempotency.claim.duration',
    ]) {
      for (const point of (await exported(name))?.dataPoints ?? [])
        attributes.push(point.attributes);
    }
    const text = JSON.stringify(attributes);
    for (const key of keys.raw) expect(text).not.toContain(key);
  });
});
