import { randomUUID } from 'node:crypto';
import type { SampleApp, SampleAppResponse } from '../support/sample-app-process.js';

/** One HTTP attempt of an operation: when it went out, when it ended, and how. */
export interface Attempt {
  sentAt: number;
  doneAt: number;
  /** `201`, `201 replay`, `503 <code>`, `409 <code>`, `connection error`, or `<status> <code>`. */
  outcome: string;
}

/** One adjustment, retried with its own key until it gets a final answer. */
export interface AdjustmentOperation {
  key: string;
  userId: string;
  delta: number;
  /** Unique per operation, so the database tells how often it was applied. */
  reason: string;
  attempts: Attempt[];
  /**
   * Its final answer (neither a 5xx nor a 409 `idempotency_key_in_use`); `undefined` if it gave
   * up at its deadline.
   */
  answer?: SampleAppResponse;
}

/** How much traffic, and how patient it is. */
export interface AdjustmentTrafficOptions {
  /** Operations in flight at once. */
  clients: number;
  users: number;
  /** An operation still without its `201` after this long is given up (and the test fails). */
  operationDeadlineMs: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Clients that move money through `POST /economy/adjust` on several app processes, each
 * operation with its own key, retried (on another process each time) after a 5xx, a `409
 * idempotency_key_in_use` or a connection error, as a client of a payments API would. Any
 * other answer is final.
 */
export class AdjustmentTraffic {
  readonly operations: AdjustmentOperation[] = [];
  private running = false;
  private clients: Promise<void>[] = [];
  private turn = 0;

  constructor(
    private readonly apps: SampleApp[],
    private readonly token: string,
    private readonly options: AdjustmentTrafficOptions,
  ) {}

  /** Starts the clients; each starts a new operation as soon as its previous one is answered. */
  start(): void {
    this.running = true;
    this.clients = Array.from({ length: this.options.clients }, () => this.client());
  }

  /** Stops starting operations and waits until those in flight are answered or given up. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.clients);
  }

  /** Every attempt of every operation, in no particular order. */
  attempts(): Attempt[] {
    return this.operations.flatMap((operation) => operation.attempts);
  }

  /** Sends `POST /economy/adjust` for `operation` once, to the next process in turn. */
  send(operation: AdjustmentOperation): Promise<SampleAppResponse> {
    const app = this.apps[this.turn++ % this.apps.length];
    return app.request('POST', '/economy/adjust', {
      token: this.token,
      key: operation.key,
      body: { user_id: operation.userId, delta: operation.delta, reason: operation.reason },
    });
  }

  private async client(): Promise<void> {
    while (this.running) {
      const index = this.operations.length;
      const operation: AdjustmentOperation = {
        key: `restart-${index}-${randomUUID()}`,
        userId: `user-${Math.floor(Math.random() * this.options.users)}`,
        delta:
          Math.random() < 0.3
            ? -1 - Math.floor(Math.random() * 50)
            : 1 + Math.floor(Math.random() * 100),
        reason: `restart op ${index} ${randomUUID()}`,
        attempts: [],
      };
      this.operations.push(operation);
      operation.answer = await this.settle(operation);
    }
  }

  private async settle(operation: AdjustmentOperation): Promise<SampleAppResponse | undefined> {
    const deadline = Date.now() + this.options.operationDeadlineMs;
    while (Date.now() < deadline) {
      const sentAt = Date.now();
      let response: SampleAppResponse | undefined;
      try {
        response = await this.send(operation);
      } catch {
        response = undefined;
      }
      const outcome = outcomeOf(response);
      operation.attempts.push({ sentAt, doneAt: Date.now(), outcome });
      if (response !== undefined && isFinal(response)) return response;
      // The pauses of the chaos harness: short, jittered, so retries do not march in step.
      await delay(
        outcome === 'connection error' ? 20 + 80 * Math.random() : 50 + 100 * Math.random(),
      );
    }
    return undefined;
  }
}

function isFinal(response: SampleAppResponse): boolean {
  if (response.status >= 500) return false;
  return !(response.status === 409 && response.json?.code === 'idempotency_key_in_use');
}

function outcomeOf(response: SampleAppResponse | undefined): string {
  if (response === undefined) return 'connection error';
  if (response.status === 201)
    return response.headers['idempotent-replay'] === 'true' ? '201 replay' : '201';
  return `${response.status} ${response.json?.code ?? response.text.slice(0, 80)}`;
}
