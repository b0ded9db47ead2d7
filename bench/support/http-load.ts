import autocannon from 'autocannon';
import { summarizeLatencies, type LatencySummary } from './stats.js';

/** Which `Idempotency-Key` each request carries. */
export type KeyPlan =
  { kind: 'none' } | { kind: 'fresh'; prefix: string } | { kind: 'fixed'; key: string };

/** One autocannon run against one route. */
export interface LoadResult {
  /** Responses counted (after the ramp), and the seconds they came back in. */
  requests: number;
  /** Every response, the ramp's included. */
  total: number;
  seconds: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  errors: number;
}

const BODY = JSON.stringify({ name: 'bench' });
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Share of a timed run left out of its figures: all connections start at once, cold. */
const RAMP_SHARE = 0.2;

/**
 * Loads `path` with `connections` keep-alive connections for `seconds` (or `amount` requests).
 * Every request goes through the same `setupRequest`, so the client does the same work on
 * every route; only the key it sets differs. Latencies are recorded here, in fractional ms.
 * A timed run counts only the responses after its first fifth: until the first responses
 * come back no connection has finished anything, and that ramp would weigh more on slow
 * routes (higher latency) than on fast ones.
 */
export function runLoad(options: {
  url: string;
  path: string;
  connections: number;
  seconds?: number;
  amount?: number;
  keys: KeyPlan;
  /** Sent with every request (`content-type: application/json` by default). */
  headers?: Record<string, string>;
  /** `{"name":"bench"}` by default. */
  body?: string;
}): Promise<LoadResult> {
  const { keys } = options;
  const headers = options.headers ?? JSON_HEADERS;
  let sequence = 0;
  let total = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const from =
    options.amount === undefined ? started + (options.seconds ?? 0) * 1000 * RAMP_SHARE : started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        ...(options.amount === undefined
          ? { duration: options.seconds }
          : { amount: options.amount }),
        timeout: 30,
        // autocannon checks for the end of the run once per sample: sample often, stop on time.
        sampleInt: 100,
        requests: [
          {
            method: 'POST',
            path: options.path,
            headers,
            body: options.body ?? BODY,
            setupRequest: (request) => {
              const key =
                keys.kind === 'fresh'
                  ? `${keys.prefix}-${++sequence}`
                  : keys.kind === 'fixed'
                    ? keys.key
                    : `unused-${++sequence}`;
              request.headers = {
                ...headers,
                [keys.kind === 'none' ? 'x-unused-key' : 'idempotency-key']: key,
              };
              return request;
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = (performance.now() - from) / 1000;
        resolve({
          requests: latencies.length,
          total,
          seconds,
          requestsPerSecond: latencies.length / seconds,
          latency: summarizeLatencies(latencies),
          statuses,
          errors: result.errors + result.timeouts,
        });
      },
    );
    instance.on(
      'response',
      (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        total++;
        if (performance.now() < from) return;
        latencies.push(responseTime);
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      },
    );
  });
}
