/** The sample app's settings, read from the environment once at start-up. */
export interface AppConfig {
  /** `PORT` (default 3000; 0 picks a free port). */
  port: number;
  /** `HOST` (default 127.0.0.1). */
  host: string;
  /** `DATABASE_URL`; unset: an embedded PostgreSQL under `.data/`. */
  databaseUrl?: string;
  /** `IDEMPOTENCY_TTL_SECONDS` (default 86400). */
  idempotencyTtlSeconds: number;
  /** `IDEMPOTENCY_LOCK_TIMEOUT_SECONDS` (default 30). */
  idempotencyLockTimeoutSeconds: number;
  /** `IDEMPOTENCY_PURGE_INTERVAL_SECONDS`: delete expired keys this often; unset: never. */
  idempotencyPurgeIntervalSeconds: number | false;
  /** `SAMPLE_FAULTS=1` turns on the `X-Simulate` header. */
  faults: boolean;
}

/**
 * Reads and checks the environment.
 * @throws Error naming the variable, its value and what is accepted
 */
export function readConfig(env: NodeJS.ProcessEnv): AppConfig {
  return {
    port: number(
      env,
      'PORT',
      3000,
      (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
      'a port number (0-65535)',
    ),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    idempotencyTtlSeconds: number(
      env,
      'IDEMPOTENCY_TTL_SECONDS',
      86_400,
      (n) => n > 0,
      'seconds (> 0)',
    ),
    idempotencyLockTimeoutSeconds: number(
      env,
      'IDEMPOTENCY_LOCK_TIMEOUT_SECONDS',
      30,
      (n) => n > 0,
      'seconds (> 0)',
    ),
    idempotencyPurgeIntervalSeconds:
      nonEmpty(env.IDEMPOTENCY_PURGE_INTERVAL_SECONDS) === undefined
        ? false
        : number(env, 'IDEMPOTENCY_PURGE_INTERVAL_SECONDS', 0, (n) => n > 0, 'seconds (> 0)'),
    faults: env.SAMPLE_FAULTS === '1' || env.SAMPLE_FAULTS === 'true',
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function number(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  valid: (n: number) => boolean,
  expected: string,
): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value)) {
    throw new Error(`Invalid ${name}: expected ${expected}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}
