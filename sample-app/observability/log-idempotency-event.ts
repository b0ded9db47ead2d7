import { Logger } from '@nestjs/common';
import type { IdempotencyEvent } from '../../lib/index.js';

const logger = new Logger('Idempotency');

/**
 * The module's `onEvent`: one line per outcome, e.g.
 * `replayed POST /customers key_hash=3f2a9c1e0b7d4e55 0.8 ms status=201`. The line names the key
 * by its hash only; `printf %s "$KEY" | sha256sum | cut -c1-16` finds a client's key.
 */
export function logIdempotencyEvent(event: IdempotencyEvent): void {
  const line = `${event.outcome} ${event.route ?? event.scope} key_hash=${event.keyHash} ${event.durationMs.toFixed(1)} ms`;
  const detail = detailOf(event);
  logger.log(detail === undefined ? line : `${line} ${detail}`);
}

function detailOf(event: IdempotencyEvent): string | undefined {
  switch (event.outcome) {
    case 'replayed':
    case 'completed':
    case 'released':
      return event.status === undefined ? undefined : `status=${event.status}`;
    case 'store_unavailable':
      return `stage=${event.stage}`;
    case 'renewal_failed':
      return `reason=${event.reason}`;
    default:
      return undefined;
  }
}
