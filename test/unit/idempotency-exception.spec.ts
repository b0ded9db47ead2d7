import { IdempotencyException } from '../../lib/index.js';

// The problem+json bodies are what clients read and may show: each is pinned here, word for
// word, so that a change to one is a decision and a CHANGELOG entry, not an accident.
describe('IdempotencyException', () => {
  it.each([
    [
      'idempotency_key_missing',
      IdempotencyException.keyMissing('Idempotency-Key'),
      400,
      'Idempotency key missing',
      'This operation requires an idempotency key; send one in the Idempotency-Key header.',
      {},
    ],
    [
      'idempotency_key_invalid',
      IdempotencyException.keyInvalid(255),
      400,
      'Idempotency key invalid',
      'An idempotency key is 1 to 255 characters of visible ASCII (0x21 to 0x7E).',
      {},
    ],
    [
      'idempotency_key_reused',
      IdempotencyException.keyReused(422),
      422,
      'Idempotency key reused',
      'This idempotency key was already used for a different request.',
      {},
    ],
    [
      'idempotency_key_in_use',
      IdempotencyException.keyInUse(1),
      409,
      'Idempotency key in use',
      'A request with this idempotency key is still being processed; retry later.',
      { 'Retry-After': '1' },
    ],
    [
      'idempotency_store_unavailable',
      IdempotencyException.storeUnavailable(),
      503,
      'Idempotency store unavailable',
      'The idempotency store cannot be reached, so the operation was not run; retry later.',
      { 'Retry-After': '1' },
    ],
    [
      'idempotency_response_unavailable',
      IdempotencyException.responseUnavailable(),
      409,
      'Idempotent response unavailable',
      'The operation for this idempotency key completed, but its response was too large or streamed and was not stored. It is not run again.',
      {},
    ],
  ])('%s: its status, problem and headers', (code, exception, status, title, detail, headers) => {
    expect(exception.code).toBe(code);
    expect(exception.getStatus()).toBe(status);
    expect(exception.problem).toEqual({
      type: `about:blank#${code}`,
      title,
      status,
      detail,
      code,
    });
    expect(exception.headers).toEqual(headers);
  });
});
