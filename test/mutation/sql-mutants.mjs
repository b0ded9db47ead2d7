// Mutants of the PostgreSQL store's statements, which StrykerJS cannot make (it turns a string
// literal into "", which any test kills). One or two per invariant of the statements: each breaks
// a guarantee the way a plausible edit would, and scripts/sql-mutants.mjs runs the store suites
// against each in a sandbox; every one must be killed. `original` must occur in `file` after
// `after` (the first occurrence is replaced), so that an edit of the statement that moves it
// fails the run instead of testing nothing.

const STORE = 'lib/store/postgres-idempotency.store.ts';

/** The store suites: the contract and the store's rows, the transactional mode, the races. */
export const SQL_MUTANT_SUITES = [
  'test/integration/postgres-store.e2e-spec.ts',
  'test/integration/transactional.e2e-spec.ts',
  'test/integration/idempotency-service.e2e-spec.ts',
  'test/race/',
];

export const SQL_MUTANTS = [
  {
    id: 'claim-conflict-writes',
    invariant: "The claim's conflict target: a second claim of a (scope, key) writes nothing",
    file: STORE,
    after: 'export const CLAIM_SQL',
    original: 'ON CONFLICT (scope, key) DO NOTHING',
    mutated: 'ON CONFLICT (scope, key) DO UPDATE SET lock_token = EXCLUDED.lock_token',
  },
  {
    id: 'claim-reads-other-scope',
    invariant: "The claim's conflict target: the row read back is the one of that scope and key",
    file: STORE,
    after: 'export const CLAIM_SQL',
    original: 'WHERE scope = $1 AND key = $2 AND NOT EXISTS',
    mutated: 'WHERE key = $2 AND NOT EXISTS',
  },
  {
    id: 'claim-staleness-inverted',
    invariant: "The claim's staleness test: only a claim past its lock is stale, not a live one",
    file: STORE,
    after: 'export const CLAIM_SQL',
    original: "CASE WHEN ${STALE} THEN 'stale'",
    mutated:
      "CASE WHEN ((status = 'completed' AND expires_at <= now()) OR (status = 'in_progress' AND locked_until > now())) THEN 'stale'",
  },
  {
    id: 'claim-staleness-ignores-ttl',
    invariant: "The claim's staleness test: a completed key past its ttl is claimed anew",
    file: STORE,
    after: 'export const CLAIM_SQL',
    original: "CASE WHEN ${STALE} THEN 'stale'",
    mutated: "CASE WHEN (status = 'in_progress' AND locked_until <= now()) THEN 'stale'",
  },
  {
    id: 'transactional-claim-staleness-inverted',
    invariant: "The transactional claim's staleness test, as the claim's",
    file: STORE,
    after: 'export const CLAIM_IN_TRANSACTION_SQL',
    original: "CASE WHEN ${STALE} THEN 'stale'",
    mutated:
      "CASE WHEN ((status = 'completed' AND expires_at <= now()) OR (status = 'in_progress' AND locked_until > now())) THEN 'stale'",
  },
  {
    id: 'take-over-without-staleness',
    invariant: 'The take-over repeats the staleness test: one of two racing takers wins',
    file: STORE,
    after: 'const TAKE_OVER_SQL',
    original: 'WHERE scope = $1 AND key = $2 AND ${STALE}',
    mutated: 'WHERE scope = $1 AND key = $2',
  },
  {
    id: 'complete-without-token',
    invariant: 'The token fence on complete: an owner that was taken over stores nothing',
    file: STORE,
    after: 'export const COMPLETE_SQL',
    original: 'WHERE scope = $1 AND key = $2 AND lock_token = $3',
    mutated: 'WHERE scope = $1 AND key = $2',
  },
  {
    id: 'release-without-token',
    invariant: 'The token fence on release: an owner that was taken over deletes nothing',
    file: STORE,
    after: 'const RELEASE_SQL',
    original: "AND lock_token = $3 AND status = 'in_progress'",
    mutated: "AND status = 'in_progress'",
  },
  {
    id: 'release-of-completed',
    invariant: 'The fence on release: a completed key is never deleted by its owner',
    file: STORE,
    after: 'const RELEASE_SQL',
    original: "AND lock_token = $3 AND status = 'in_progress'",
    mutated: 'AND lock_token = $3',
  },
  {
    id: 'renew-without-token',
    invariant: "The token fence on renew: an owner that was taken over extends no one's lock",
    file: STORE,
    after: 'const RENEW_SQL',
    original: "AND lock_token = $3 AND status = 'in_progress'",
    mutated: "AND status = 'in_progress'",
  },
  {
    id: 'purge-live-claims',
    invariant: "The purge's condition: a live claim past its ttl is kept",
    file: STORE,
    after: 'const PURGE_SQL',
    original: "AND (status = 'completed' OR locked_until <= now())",
    mutated: '',
  },
  {
    id: 'purge-unexpired',
    invariant: "The purge's condition: a key within its ttl is kept",
    file: STORE,
    after: 'const PURGE_SQL',
    original: 'AND expires_at <= now()',
    mutated: '',
  },
  {
    id: 'transactional-complete-on-pool',
    invariant: "The transactional completion's connection: the handler's transaction",
    file: STORE,
    after: 'async complete(',
    original: "await this.inTransaction(transaction)('', COMPLETE_SQL, params)",
    mutated: "await this.query('idempotency_complete', COMPLETE_SQL, params)",
  },
];
