/** What happened in one minute, or in the whole run. */
export interface Counts {
  /** HTTP requests sent, every attempt and retry included. */
  requests: number;
  /** Answers with `Idempotent-Replay: true`. */
  replays: number;
  /** `409 idempotency_key_in_use`, expected while a key is in flight. */
  inUse: number;
  /** Requests to `B` that failed at the connection because `B` was killed (or down). */
  crashConnectionErrors: number;
  serverErrors: number;
  /** Everything else that must not happen; each is also a failure (see `fail`). */
  otherErrors: number;
  /** `B` killed by an `X-Simulate: crash`. */
  crashes: number;
  /** Milliseconds of every request that got an HTTP answer, whatever its status. */
  latencies: number[];
}

/** One kind of failure: how often, and the first few cases in full. */
export interface Failure {
  count: number;
  examples: string[];
}

const EXAMPLES_KEPT = 5;

export function emptyCounts(): Counts {
  return {
    requests: 0,
    replays: 0,
    inUse: 0,
    crashConnectionErrors: 0,
    serverErrors: 0,
    otherErrors: 0,
    crashes: 0,
    latencies: [],
  };
}

/** The counters of the current minute and of the run, and the failures found so far. */
export class SoakStats {
  minute = emptyCounts();
  readonly total = emptyCounts();
  readonly failures = new Map<string, Failure>();

  /** Applies `change` to this minute's counts and to the run's. */
  count(change: (counts: Counts) => void): void {
    change(this.minute);
    change(this.total);
  }

  /** Records a failure of kind `kind`; the soak fails if any was recorded. */
  fail(kind: string, example: string): void {
    const failure = this.failures.get(kind) ?? { count: 0, examples: [] };
    failure.count++;
    if (failure.examples.length < EXAMPLES_KEPT) failure.examples.push(example);
    this.failures.set(kind, failure);
  }

  /** Hands this minute's counts over and starts the next minute. */
  endMinute(): Counts {
    const ended = this.minute;
    this.minute = emptyCounts();
    return ended;
  }
}
