/**
 * Thrown by `IdempotencyStore.claimInTransaction()` when the caller's transaction was aborted
 * before anything of the work ran, for a reason that a new transaction does not have. The
 * caller rolls back and runs the whole transaction once more. The PostgreSQL store throws it
 * when a pooler lost its named claim statement (the claim is then sent unnamed).
 */
export class RestartTransactionError extends Error {
  override name = 'RestartTransactionError';
}
