/** Options of `inspect()`. */
export interface InspectKeyOptions {
  /**
   * Also return the stored response body. Bodies are what the API answered, so they may hold
   * personal data: ask for them only when you need them.
   * @default false
   */
  body?: boolean;
}

/** The stored response of a completed key, as `inspect()` shows it. */
export interface StoredKeyResponse {
  /** The status a replay answers with. */
  status: number;
  /** The stored headers (lower-case names, those in `REPLAYED_HEADERS`). */
  headers: Record<string, string>;
  /**
   * Size of the stored body in bytes; `null` when the body was too large (or streamed) to keep,
   * so a retry gets `409 idempotency_response_unavailable`.
   */
  bodyBytes: number | null;
  /** The body itself, only with `{ body: true }`. */
  body?: Buffer | null;
}

/** One key as the store holds it: what `inspect()` returns. */
export interface StoredKey {
  scope: string;
  key: string;
  /** `in_progress`: a request owns it and is running; `completed`: its response is stored. */
  status: 'in_progress' | 'completed';
  /** The fingerprint of the request that claimed it; a retry must bring the same one. */
  fingerprint: string;
  /** When it was claimed (a take-over claims it anew). */
  createdAt: Date;
  /** Seconds since `createdAt`, by the store's clock. */
  ageSeconds: number;
  /** When it is forgotten: after that the key names a new operation, and the purge deletes it. */
  expiresAt: Date;
  /**
   * In flight: until when its claim holds without a renewal (its handler's heartbeat renews it).
   * `undefined` once completed.
   */
  lockedUntil?: Date;
  /**
   * The next request with this key takes it over: a completed key past `expiresAt`, or a claim
   * whose lock ran out without a renewal (its process died).
   */
  stale: boolean;
  /** Completed keys: the response a retry gets. */
  response?: StoredKeyResponse;
}
