import { Logger } from '@nestjs/common';
import { IdempotencyException } from './errors/idempotency.exception.js';
import type {
  Claim,
  ClaimRequest,
  IdempotencyStore,
  StoredResponse,
} from './store/idempotency-store.js';

/** Either this request owns the key now, or it gets the stored response. */
export type KeyDecision =
  { claim: Claim; replay?: never } | { replay: StoredResponse; claim?: never };

const logger = new Logger('Idempotency');

/**
 * Claims a key and turns every answer but "claimed" or "replay this" into the error the caller
 * gets. Shared by the interceptor and `IdempotencyService`.
 * @throws IdempotencyException reused, in use, response unavailable, or store unavailable
 */
export async function claimKey(
  store: IdempotencyStore,
  request: ClaimRequest,
  mismatchStatus: 409 | 422,
): Promise<KeyDecision> {
  let outcome;
  try {
    outcome = await store.claim(request);
  } catch (error) {
    logger.error(`Idempotency store unavailable: ${(error as Error).message}`);
    throw IdempotencyException.storeUnavailable();
  }
  if (outcome.state === 'claimed') return { claim: outcome.claim };
  if (outcome.fingerprint !== request.fingerprint)
    throw IdempotencyException.keyReused(mismatchStatus);
  // The claim may be a second old or about to be taken over: one second is the useful hint.
  if (outcome.state === 'in_progress') throw IdempotencyException.keyInUse(1);
  if (outcome.response.body === null) throw IdempotencyException.responseUnavailable();
  return { replay: outcome.response };
}

/** Completes or releases, logging instead of throwing: the caller's answer is already decided. */
export async function settleClaim(
  store: IdempotencyStore,
  claim: Claim,
  response: StoredResponse | undefined,
): Promise<void> {
  try {
    const settled = response ? await store.complete(claim, response) : await store.release(claim);
    if (!settled) {
      logger.warn(
        `Idempotency key "${claim.key}" was taken over by another request before this one finished`,
      );
    }
  } catch (error) {
    logger.error(
      `Could not ${response ? 'complete' : 'release'} idempotency key "${claim.key}": ${(error as Error).message}`,
    );
  }
}
