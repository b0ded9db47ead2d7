import type { Response } from 'supertest';

/** What a burst of concurrent requests got back. */
export interface RaceSummary {
  /** Status -> count, e.g. { 201: 12, 409: 38 }. */
  statuses: Record<number, number>;
  /** `code` of each non-2xx answer -> count. */
  codes: Record<string, number>;
  /** Distinct bodies of the 2xx answers. */
  successBodies: string[];
  /** 2xx answers without the replay header (the one that ran the handler). */
  firstExecutions: number;
  replays: number;
}

export function summarize(responses: Response[]): RaceSummary {
  const summary: RaceSummary = {
    statuses: {},
    codes: {},
    successBodies: [],
    firstExecutions: 0,
    replays: 0,
  };
  for (const response of responses) {
    summary.statuses[response.status] = (summary.statuses[response.status] ?? 0) + 1;
    if (response.status >= 200 && response.status < 300) {
      if (!summary.successBodies.includes(response.text)) summary.successBodies.push(response.text);
      if (response.headers['idempotent-replay'] === 'true') summary.replays++;
      else summary.firstExecutions++;
    } else {
      const code = String(response.body?.code);
      summary.codes[code] = (summary.codes[code] ?? 0) + 1;
    }
  }
  return summary;
}

/** One line for the run's output, so the counts can be read without a debugger. */
export function report(name: string, runs: Record<string, number>, summary: RaceSummary): void {
  process.stdout.write(
    `[race] ${name}: handler runs ${JSON.stringify(runs)}; statuses ${JSON.stringify(summary.statuses)}; ` +
      `codes ${JSON.stringify(summary.codes)}; first ${summary.firstExecutions}, replays ${summary.replays}\n`,
  );
}
