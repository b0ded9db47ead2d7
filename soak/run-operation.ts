import { answerDiff, isReplay } from './answer-diff.js';
import type { Answer } from './http-call.js';
import { successStatus, type Operation } from './operation.js';
import type { RetryingClient } from './retrying-client.js';
import { SOAK_PLAN } from './soak-plan.js';
import type { SoakStats } from './soak-stats.js';

/**
 * Runs one operation to its end: its first attempt (maybe a crash), its concurrent retry if it
 * has one, its webhook redeliveries; checks that every answer after the first repeats it byte
 * for byte and that the handler answered at most once. Sets `operation.status`.
 * `lateRedeliveryDue` says whether a redelivery after the TTL would still fall inside the run.
 */
export async function runOperation(
  operation: Operation,
  client: RetryingClient,
  stats: SoakStats,
  lateRedeliveryDue: (atMs: number) => boolean,
): Promise<void> {
  const retry = operation.retried
    ? delay(Math.random() * 300).then(() => client.settle(operation))
    : Promise.resolve(undefined);
  const answers = (await Promise.all([client.settle(operation, operation.crash), retry])).filter(
    (answer): answer is Answer => answer !== undefined,
  );
  if (answers.length === 0) return; // already a failure
  const first = answers[0];
  operation.status = first.status;
  if (first.status !== successStatus(operation.kind)) {
    fail(stats, 'unexpected status', operation, `${first.status} ${first.body.toString('utf8')}`);
    return;
  }
  if (answers.filter((answer) => !isReplay(answer)).length > 1)
    fail(stats, 'handler answered twice', operation, 'two answers without Idempotent-Replay');
  compare(stats, operation, first, answers.slice(1));

  const answeredAt = performance.now();
  if (operation.redelivery === 'early') {
    await delay(1000 + Math.random() * 19_000);
    const again = await client.settle(operation);
    if (again !== undefined) {
      if (!isReplay(again))
        fail(stats, 'redelivery not replayed', operation, 'no Idempotent-Replay within the TTL');
      compare(stats, operation, first, [again]);
    }
  }
  // After the TTL and two purges the key is gone: the event runs again, and must credit nothing.
  const lateAt =
    answeredAt +
    (SOAK_PLAN.ttlSeconds + 2 * SOAK_PLAN.purgeIntervalSeconds + Math.random() * 10) * 1000;
  // One that would fall after the end of the load is not sent, nor counted as sent.
  if (operation.redelivery === 'late' && !lateRedeliveryDue(lateAt)) operation.redelivery = 'none';
  if (operation.redelivery === 'late') {
    await delay(lateAt - performance.now());
    const again = await client.settle(operation);
    if (again !== undefined) {
      if (isReplay(again))
        fail(stats, 'replayed after the TTL', operation, 'the key outlived its TTL and purge');
      compare(stats, operation, first, [again]);
    }
  }
}

function compare(stats: SoakStats, operation: Operation, first: Answer, others: Answer[]): void {
  for (const other of others) {
    const diff = answerDiff(first, other);
    if (diff !== undefined) fail(stats, 'replay differs', operation, diff);
  }
}

function fail(stats: SoakStats, kind: string, operation: Operation, detail: string): void {
  stats.count((c) => c.otherErrors++);
  stats.fail(kind, `${operation.id} (${operation.kind} ${operation.path}): ${detail}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
