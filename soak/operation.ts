import { SOAK_PLAN } from './soak-plan.js';

export type OperationKind = 'adjust' | 'customer' | 'webhook';

/** One thing a client wants done once, with everything its retries must send again. */
export interface Operation {
  /** Unique in the run; also the adjustment's `reason` and the customer's name. */
  id: string;
  kind: OperationKind;
  token: string;
  /** The user whose balance it changes (`''` for a customer). */
  userId: string;
  /** What it adds to that balance when applied (0 for a customer). */
  amount: number;
  path: string;
  body: Buffer;
  /** The `Idempotency-Key` header; a webhook event is keyed by its `id` instead. */
  key?: string;
  /** Its first attempt carries `X-Simulate: crash`. */
  crash: boolean;
  /** A second client sends it again with the same key. */
  retried: boolean;
  /** The event is delivered again: within the TTL (a replay), after it (runs, credits nothing). */
  redelivery: 'none' | 'early' | 'late';
  /** The status it was answered with at last; `undefined` while it has no answer. */
  status?: number;
}

/** The status of a successful answer to `kind`. */
export function successStatus(kind: OperationKind): number {
  return kind === 'webhook' ? 200 : 201;
}

/** The tokens (tenants) and users that operations pick from. */
export function tenantTokens(runId: string): string[] {
  return Array.from({ length: SOAK_PLAN.tenants }, (_, i) => `soak-${runId}-tenant-${i}`);
}

export function userIds(): string[] {
  return Array.from({ length: SOAK_PLAN.usersPerTenant }, (_, i) => `user-${i}`);
}

/** A new operation, its kind, tenant, user and faults drawn at random as `SOAK_PLAN` says. */
export function makeOperation(runId: string, index: number): Operation {
  const id = `soak-${runId}-${index}`;
  const token = pick(tenantTokens(runId));
  const userId = pick(userIds());
  const roll = Math.random();
  const common = {
    id,
    token,
    crash: Math.random() < SOAK_PLAN.crashShare,
    retried: Math.random() < SOAK_PLAN.retryShare,
    redelivery: 'none' as const,
  };
  if (roll < SOAK_PLAN.adjustShare) {
    // -50..100 without 0: some adjustments take money away.
    const delta = Math.floor(Math.random() * 150) - 50 || 100;
    const body = { user_id: userId, delta, reason: id };
    return {
      ...common,
      kind: 'adjust',
      userId,
      amount: delta,
      ...post('/economy/adjust', body),
      key: id,
    };
  }
  if (roll < SOAK_PLAN.adjustShare + SOAK_PLAN.customerShare) {
    const body = { name: id, email: `${index}@soak.example` };
    return {
      ...common,
      kind: 'customer',
      userId: '',
      amount: 0,
      ...post('/customers', body),
      key: id,
    };
  }
  const amount = 1 + Math.floor(Math.random() * 100);
  const body = { id, type: 'balance.credited', data: { user_id: userId, amount } };
  const redeliveryRoll = Math.random();
  return {
    ...common,
    kind: 'webhook',
    userId,
    amount,
    ...post('/webhooks/events', body),
    redelivery:
      redeliveryRoll < SOAK_PLAN.lateRedeliveryShare
        ? 'late'
        : redeliveryRoll < SOAK_PLAN.lateRedeliveryShare + SOAK_PLAN.redeliveryShare
          ? 'early'
          : 'none',
  };
}

function post(path: string, body: unknown): { path: string; body: Buffer } {
  return { path, body: Buffer.from(JSON.stringify(body)) };
}

function pick<T>(values: readonly T[]): T {
  return values[Math.floor(Math.random() * values.length)];
}
