import type { ExecutionContext } from '@nestjs/common';
import type { JsonRequest } from '../http/json-request.interface.js';
import {
  bodyObject,
  characters,
  checkStorable,
  describe,
  failOn,
  isJsonObject,
} from '../http/validation.js';

/** The body of `POST /webhooks/events`, checked. */
export interface WebhookEvent {
  id: string;
  type: 'balance.credited';
  data: { user_id: string; amount: number };
}

// The event id is the idempotency key, so it must be a valid one: 1 to 128 visible ASCII.
const EVENT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The `@Idempotent` key of a delivery: its event id. An id that is missing or could not be a
 * key gives no key, so the request runs unprotected, and validation turns it away (400)
 * before it writes anything.
 */
export function webhookEventId(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<JsonRequest>().body;
  if (!isJsonObject(body)) return undefined;
  return typeof body.id === 'string' && EVENT_ID.test(body.id) ? body.id : undefined;
}

/**
 * `{"id": string, "type": "balance.credited", "data": {"user_id": string, "amount": positive integer}}`,
 * with no text the database cannot store (U+0000...) in the `payload` it keeps.
 * @throws ProblemException `validation_failed`
 */
export function validateWebhookEvent(body: unknown): WebhookEvent {
  const { id, type, data } = bodyObject(body);
  const errors: string[] = [];
  if (typeof id !== 'string' || !EVENT_ID.test(id)) {
    errors.push(`"id" must be 1 to 128 visible ASCII characters, got ${got(id)}.`);
  }
  if (type !== 'balance.credited') {
    errors.push(
      `"type" must be "balance.credited", got ${typeof type === 'string' ? JSON.stringify(type) : describe(type)}.`,
    );
  }
  if (!isJsonObject(data)) {
    errors.push(`"data" must be an object with "user_id" and "amount", got ${describe(data)}.`);
  } else {
    const { user_id, amount } = data;
    if (typeof user_id !== 'string' || user_id === '' || characters(user_id) > 200) {
      errors.push(
        `"data.user_id" must be a non-empty string of at most 200 characters, got ${got(user_id)}.`,
      );
    }
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      errors.push(
        `"data.amount" must be a positive integer up to ${Number.MAX_SAFE_INTEGER}, got ${typeof amount === 'number' ? amount : describe(amount)}.`,
      );
    }
    checkStorable(errors, { 'data.user_id': user_id });
  }
  failOn(errors);
  const checked = data as { user_id: string; amount: number };
  return {
    id: id as string,
    type: 'balance.credited',
    data: { user_id: checked.user_id, amount: checked.amount },
  };
}

function got(value: unknown): string {
  return typeof value === 'string'
    ? `a string of ${characters(value)} characters`
    : describe(value);
}
