import type pg from 'pg';
import type { AppPool } from './app-pool.js';
import { send, type CallResult } from './http-call.js';
import { successStatus, tenantTokens, userIds, type Operation } from './operation.js';
import type { SoakStats } from './soak-stats.js';

/** What the final check looked at. */
export interface LedgerSummary {
  balancesChecked: number;
  adjustments: number;
  customers: number;
  webhookEvents: number;
}

/**
 * After the load: every balance (read over HTTP) must be the sum of the adjustments and credits
 * the clients were told were applied, and the database must hold each answered operation's row
 * exactly once and no other. Mismatches are failures in `stats`.
 */
export async function checkLedger(
  runId: string,
  operations: readonly Operation[],
  pool: AppPool,
  database: pg.Pool,
  stats: SoakStats,
): Promise<LedgerSummary> {
  const applied = operations.filter((op) => op.status === successStatus(op.kind));
  const expected = new Map<string, number>();
  for (const op of applied) {
    if (op.kind === 'customer') continue;
    const account = `${op.token} ${op.userId}`;
    expected.set(account, (expected.get(account) ?? 0) + op.amount);
  }
  let balancesChecked = 0;
  for (const token of tenantTokens(runId)) {
    for (const userId of userIds()) {
      const actual = await readBalance(pool, token, userId);
      const want = expected.get(`${token} ${userId}`) ?? 0;
      if (actual !== want)
        stats.fail('balance differs', `${token} ${userId}: ${actual}, applied once: ${want}`);
      balancesChecked++;
    }
  }

  const counts = async (sql: string) =>
    new Map(
      (await database.query<{ id: string; n: string }>(sql)).rows.map((r) => [r.id, Number(r.n)]),
    );
  const rows = {
    adjust: await counts('SELECT reason AS id, count(*) AS n FROM adjustments GROUP BY reason'),
    customer: await counts('SELECT name AS id, count(*) AS n FROM customers GROUP BY name'),
    webhook: await counts('SELECT event_id AS id, count(*) AS n FROM webhook_events GROUP BY 1'),
  };
  for (const op of operations) {
    const found = rows[op.kind].get(op.id) ?? 0;
    rows[op.kind].delete(op.id);
    if (op.status === undefined) continue; // never answered: already a failure, its fate unknown
    const want = op.status === successStatus(op.kind) ? 1 : 0;
    if (found === want) continue;
    const kind =
      found > 1
        ? 'applied twice'
        : found > want
          ? 'applied though refused'
          : 'answered but not applied';
    stats.fail(kind, `${op.id} (${op.kind}): ${found} rows, answered ${op.status}`);
  }
  for (const [kind, left] of Object.entries(rows))
    for (const id of left.keys()) stats.fail('row of no operation', `${kind} ${id}`);

  return {
    balancesChecked,
    adjustments: applied.filter((op) => op.kind === 'adjust').length,
    customers: applied.filter((op) => op.kind === 'customer').length,
    webhookEvents: applied.filter((op) => op.kind === 'webhook').length,
  };
}

async function readBalance(pool: AppPool, token: string, userId: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const target = pool.pick();
    const result = target
      ? await send(
          target.app.port,
          'GET',
          `/economy/balances/${userId}`,
          { authorization: `Bearer ${token}` },
          undefined,
          30_000,
        )
      : undefined;
    if (result?.kind === 'answer' && result.status === 200)
      return (JSON.parse(result.body.toString('utf8')) as { balance: number }).balance;
    if (attempt === 100)
      throw new Error(`Cannot read the balance of ${userId}: ${describe(result)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function describe(result: CallResult | undefined): string {
  if (result === undefined) return 'no app process up';
  if (result.kind === 'answer') return `${result.status} ${result.body.toString('utf8')}`;
  return result.kind === 'timeout' ? 'timeout' : result.code;
}
