import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import type { IdempotencyEvent } from './idempotency-event.interface.js';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

/** Seconds: a claim is a round trip or two to PostgreSQL, or a bounded wait for another. */
const CLAIM_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

interface Instruments {
  requests: Counter;
  operations: Counter;
  renewalFailures: Counter;
  claimDuration: Histogram;
}

/**
 * The events as OpenTelemetry sees them, on the global tracer and meter providers: the answer
 * to a request as attributes of the active span, counters, and the claim's latency.
 */
export class OpenTelemetryBridge {
  private instruments?: Instruments;

  private constructor(private readonly api: OpenTelemetryApi) {}

  /**
   * The bridge if `@opentelemetry/api` is installed, else `undefined`. The package is an
   * optional peer: it is imported here, once, and never statically.
   */
  static async load(): Promise<OpenTelemetryBridge | undefined> {
    try {
      return new OpenTelemetryBridge(await import('@opentelemetry/api'));
    } catch {
      return undefined;
    }
  }

  record(event: IdempotencyEvent): void {
    const instruments = (this.instruments ??= this.createInstruments());
    const attributes: Attributes = {
      'idempotency.outcome': event.outcome,
      'idempotency.mode': event.mode,
      'idempotency.scope': event.scope,
    };
    switch (event.outcome) {
      case 'completed':
      case 'released':
        instruments.operations.add(1, attributes);
        return;
      case 'renewal_failed':
        instruments.renewalFailures.add(1, { ...attributes, 'error.type': event.reason });
        return;
      case 'store_unavailable':
        if (event.stage === 'settle') {
          instruments.operations.add(1, attributes);
          return;
        }
    }
    instruments.requests.add(1, attributes);
    instruments.claimDuration.record(event.durationMs / 1000, attributes);
    const span = this.api.trace.getActiveSpan();
    if (span?.isRecording()) {
      span.setAttributes({
        ...attributes,
        'idempotency.replayed': event.outcome === 'replayed',
        'idempotency.key.hash': event.keyHash,
      });
    }
  }

  // Made at the first event, not at start-up, so that an SDK registered after the app was
  // created still gets them: the API's global meter does not forward to a later provider.
  private createInstruments(): Instruments {
    const meter = this.api.metrics.getMeter('nestjs-idempotency');
    return {
      requests: meter.createCounter('idempotency.requests', {
        description:
          'Requests with an idempotency key, by their answer: claimed, taken_over, replayed, key_reused, in_use, response_unavailable, store_unavailable.',
        unit: '{request}',
      }),
      operations: meter.createCounter('idempotency.operations', {
        description:
          'Claimed operations by how they ended: completed, released, or store_unavailable (the end could not be written).',
        unit: '{operation}',
      }),
      renewalFailures: meter.createCounter('idempotency.lease.renewal_failures', {
        description:
          "Lapses of a running handler's lease, by error.type: taken_over or store_unavailable.",
        unit: '{failure}',
      }),
      claimDuration: meter.createHistogram('idempotency.claim.duration', {
        description: 'How long the store took to claim a key or to answer who has it.',
        unit: 's',
        advice: { explicitBucketBoundaries: CLAIM_DURATION_BUCKETS },
      }),
    };
  }
}
