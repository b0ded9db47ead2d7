import type { AppPool } from './app-pool.js';
import { send, type Answer } from './http-call.js';
import type { Operation } from './operation.js';
import { SOAK_PLAN } from './soak-plan.js';
import type { SoakStats } from './soak-stats.js';

/** No answer within this long is a hung request, not a slow one. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * A client as a real one behaves: it sends an operation until it gets an answer, retrying with
 * the same key after a dropped connection, a 5xx, or a `409 idempotency_key_in_use` (after its
 * `Retry-After`). Every attempt is counted in `stats`.
 */
export class RetryingClient {
  constructor(
    private readonly pool: AppPool,
    private readonly stats: SoakStats,
  ) {}

  /**
   * Sends `operation` until it is answered with anything but a 409 in_use or a 5xx; only the
   * first attempt carries `X-Simulate: crash` when `crash` is set, and goes to `B`.
   * @returns the answer, or `undefined` (a failure) after `SOAK_PLAN.giveUpSeconds`
   */
  async settle(operation: Operation, crash = false): Promise<Answer | undefined> {
    const deadline = performance.now() + SOAK_PLAN.giveUpSeconds * 1000;
    for (let attempt = 1; performance.now() < deadline; attempt++) {
      const simulate = crash && attempt === 1;
      const target = simulate ? await this.pool.crashTarget() : this.pool.pick();
      if (target === undefined) {
        await delay(100); // both processes down at once
        continue;
      }
      const headers: Record<string, string> = {
        authorization: `Bearer ${operation.token}`,
        'content-type': 'application/json',
        'content-length': String(operation.body.length),
      };
      if (operation.key !== undefined) headers['idempotency-key'] = operation.key;
      if (simulate) headers['x-simulate'] = 'crash';
      const where = `${operation.id} attempt ${attempt} to ${target.slot.name} (pid ${target.app.pid})`;
      const result = await send(
        target.app.port,
        'POST',
        operation.path,
        headers,
        operation.body,
        REQUEST_TIMEOUT_MS,
      );
      this.stats.count((c) => c.requests++);

      if (result.kind === 'connection-error') {
        if (target.slot.name === 'B') this.stats.count((c) => c.crashConnectionErrors++);
        else this.fail('connection error to A', `${where}: ${result.code}`);
        await delay(100 + Math.random() * 200);
        continue;
      }
      if (result.kind === 'timeout') {
        this.fail('request timed out', `${where}: no answer in ${REQUEST_TIMEOUT_MS} ms`);
        continue;
      }
      this.stats.count((c) => c.latencies.push(result.ms));
      if (result.status === 409 && problemCode(result) === 'idempotency_key_in_use') {
        this.stats.count((c) => c.inUse++);
        const retryAfter = Number(result.headers['retry-after'] ?? 1);
        await delay(retryAfter * 1000 * (0.8 + 0.4 * Math.random()));
        continue;
      }
      if (result.status >= 500) {
        this.stats.count((c) => c.serverErrors++);
        this.stats.fail('5xx', `${where}: ${result.status} ${result.body.toString('utf8')}`);
        await delay(1000);
        continue;
      }
      const replay = result.headers['idempotent-replay'] === 'true';
      if (replay) this.stats.count((c) => c.replays++);
      else if (simulate)
        this.fail('X-Simulate: crash answered', `${where}: ${result.status}, the process lived`);
      return result;
    }
    this.fail('operation never answered', `${operation.id} (${operation.kind})`);
    return undefined;
  }

  private fail(kind: string, example: string): void {
    this.stats.count((c) => c.otherErrors++);
    this.stats.fail(kind, example);
  }
}

function problemCode(answer: Answer): string | undefined {
  try {
    return (JSON.parse(answer.body.toString('utf8')) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
