import { median, percentile } from '../bench/support/stats.js';
import type { AppSlot } from './app-pool.js';
import { lastThirdGrowth, type Point } from './growth.js';
import type { LedgerSummary } from './ledger-check.js';
import { mib, type Sample } from './minute-table.js';
import type { Operation } from './operation.js';
import { SOAK_PLAN } from './soak-plan.js';
import type { SoakStats } from './soak-stats.js';

/** Everything the verdict is drawn from. */
export interface SoakOutcome {
  stats: SoakStats;
  operations: readonly Operation[];
  slots: readonly AppSlot[];
  samples: readonly Sample[];
  loadSeconds: number;
  ledger: LedgerSummary;
  /** Warning and error lines of the app logs, by message. */
  logProblems: { message: string; count: number }[];
}

/** The closing lines (Markdown) and whether the soak passed. */
export function verdict(outcome: SoakOutcome): { text: string; passed: boolean } {
  const { stats, operations, slots, ledger } = outcome;
  const { total } = stats;
  const count = (test: (op: Operation) => boolean) => operations.filter(test).length;
  const lines = [
    `- operations: ${operations.length} started, ${count((op) => op.status !== undefined)} answered; ` +
      `${ledger.adjustments} adjustments, ${ledger.customers} customers, ${ledger.webhookEvents} webhook events applied; ` +
      `${count((op) => op.retried)} sent twice at once, ${count((op) => op.crash)} with X-Simulate: crash, ` +
      `${count((op) => op.redelivery === 'early')} events redelivered within the TTL, ` +
      `${count((op) => op.redelivery === 'late')} after it`,
    `- requests: ${total.requests}; ${total.replays} replays, ${total.inUse} 409 in_use, ` +
      `${total.crashConnectionErrors} connection errors as B died, ${total.serverErrors} 5xx, ${total.otherErrors} other errors; ` +
      `latency p50 ${percentile(total.latencies, 50).toFixed(1)} ms, p99 ${percentile(total.latencies, 99).toFixed(0)} ms`,
    ...slots.map(
      (slot) =>
        `- process ${slot.name}: ${slot.restarts} restarts` +
        (slot.restartMs.length > 0
          ? ` (back in ${(median(slot.restartMs) / 1000).toFixed(1)} s median, ${(Math.max(...slot.restartMs) / 1000).toFixed(1)} s max)`
          : ''),
    ),
    `- balances: ${ledger.balancesChecked} checked against the changes the clients were told were applied; ` +
      `adjustments, customers and webhook events checked row by row`,
  ];

  let grew = false;
  const judged = (outcome.loadSeconds * 2) / 3 >= SOAK_PLAN.warmUpMinutes * 60;
  if (!judged)
    lines.push(
      `- growth not judged: the last third starts before minute ${SOAK_PLAN.warmUpMinutes} (run at least ${SOAK_PLAN.warmUpMinutes * 1.5} minutes)`,
    );
  const series: [string, (s: Sample) => number | undefined, (v: number) => string][] = [
    ['RSS of A', (s) => s.rssA, (v) => `${mib(v, 0)} MiB`],
    ['idempotency_keys rows', (s) => s.keys?.rows, (v) => v.toFixed(0)],
    ['idempotency_keys size', (s) => s.keys?.bytes, (v) => `${mib(v, 2)} MiB`],
  ];
  for (const [name, value, format] of judged ? series : []) {
    const points: Point[] = outcome.samples
      .filter((s) => s.t <= outcome.loadSeconds && value(s) !== undefined)
      .map((s) => ({ t: s.t, v: value(s)! }));
    const growth = lastThirdGrowth(points, outcome.loadSeconds);
    if (growth === undefined) {
      lines.push(`- ${name}: not judged, fewer than 3 samples in the last third`);
      continue;
    }
    const ok = growth.share <= SOAK_PLAN.growthTolerance;
    grew ||= !ok;
    lines.push(
      `- ${name} over the last third (fitted line, ${growth.points} samples): ${format(growth.from)} to ` +
        `${format(growth.to)}, ${signed(growth.share * 100)}% ${ok ? '(within' : '(beyond'} the ${SOAK_PLAN.growthTolerance * 100}% tolerance)`,
    );
  }
  lines.push('- RSS of B is shown but not judged: B takes the crashes and rarely lives a minute.');

  const logLines = outcome.logProblems.reduce((sum, problem) => sum + problem.count, 0);
  lines.push(`- app logs: ${logLines} warning or error lines besides the SAMPLE_FAULTS notice`);
  for (const { message, count } of outcome.logProblems.slice(0, 5))
    lines.push(`  - ${count} x ${message}`);

  for (const [kind, failure] of stats.failures) {
    lines.push(`- FAILURE ${kind}: ${failure.count}`);
    for (const example of failure.examples) lines.push(`  - ${example}`);
  }
  const passed = stats.failures.size === 0 && !grew;
  const reasons = [...stats.failures.keys(), ...(grew ? ['growth'] : [])];
  const head = passed ? '**PASS**' : `**FAIL** (${reasons.join(', ')})`;
  return { text: [`Verdict: ${head}`, '', ...lines].join('\n'), passed };
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}
