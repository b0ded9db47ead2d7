import type { Answer } from './http-call.js';

/** The headers a replay must repeat, besides status and body bytes. */
const REPLAYED = ['content-type', 'location'] as const;

/**
 * How `other` differs from `first` in what a replay must repeat byte for byte: status, body,
 * `Content-Type`, `Location`. `undefined` when it does not.
 */
export function answerDiff(first: Answer, other: Answer): string | undefined {
  if (other.status !== first.status) return `status ${other.status}, first ${first.status}`;
  if (!other.body.equals(first.body))
    return `body ${other.body.toString('utf8')}, first ${first.body.toString('utf8')}`;
  for (const name of REPLAYED) {
    if (other.headers[name] !== first.headers[name])
      return `${name} ${other.headers[name]}, first ${first.headers[name]}`;
  }
  return undefined;
}

export function isReplay(answer: Answer): boolean {
  return answer.headers['idempotent-replay'] === 'true';
}
