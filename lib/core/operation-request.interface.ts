/** One idempotent operation, as a face (the interceptor or the service) describes it. */
export interface OperationRequest {
  /** The operation the key belongs to: tenant and route, or the service caller's scope. */
  scope: string;
  /** The key, already parsed by `IdempotencyProtocol.parseKey()`. */
  key: string;
  /** Identifies the request; a retry must bring the same one. */
  fingerprint: string;
  /** How long the key is remembered once completed. */
  ttlSeconds: number;
  /** Who asked, as events tell it. */
  origin: OperationOrigin;
}

/** What events tell of a request besides its key: the parts that `scope` was made of. */
export interface OperationOrigin {
  /** The scope as the app names it, without the tenant. */
  scope: string;
  tenant: string | undefined;
  /** `'<METHOD> <route pattern>'`, for HTTP requests. */
  route: string | undefined;
}
