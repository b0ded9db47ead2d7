import pg from 'pg';

/** What a statement sent to PostgreSQL does, read from its SQL text. */
export type StatementKind =
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'claim'
  | 'take_over'
  | 'complete'
  | 'release'
  | 'purge'
  | 'insert_row'
  | 'other';

/** Statements sent since the counter was installed, by kind; `total` is their sum. */
export type StatementCounts = Record<StatementKind | 'total', number>;

const KINDS: readonly [RegExp, StatementKind][] = [
  [/^\s*(START TRANSACTION|BEGIN)\b/i, 'begin'],
  [/^\s*COMMIT\b/i, 'commit'],
  [/^\s*ROLLBACK\b/i, 'rollback'],
  [/WITH inserted AS/, 'claim'],
  // The transactional mode's claim, made in the handler's transaction behind an advisory lock.
  [/pg_try_advisory_xact_lock/, 'claim'],
  [/SET status = 'in_progress'/, 'take_over'],
  [/SET status = 'completed'/, 'complete'],
  [/ctid = ANY/, 'purge'],
  [/^\s*DELETE FROM idempotency_keys/, 'release'],
  [/^\s*INSERT INTO "?bench_rows"?/i, 'insert_row'],
];

const counts: StatementCounts = emptyCounts();
const kindOfText = new Map<string, StatementKind>();
let installed = false;

/**
 * Counts every statement any `pg` client of this process sends (TypeORM's pool, the library's
 * store and raw pools alike): one `Client#query` is one round trip.
 */
export function installQueryCounter(): void {
  if (installed) return;
  installed = true;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0];
    const text =
      typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
    if (typeof text === 'string') {
      let kind = kindOfText.get(text);
      if (kind === undefined) {
        kind = KINDS.find(([pattern]) => pattern.test(text))?.[1] ?? 'other';
        kindOfText.set(text, kind);
      }
      counts[kind]++;
      counts.total++;
    }
    return query.apply(this, args);
  };
}

/** A copy of the counts so far. */
export function statementCounts(): StatementCounts {
  return { ...counts };
}

/** Every distinct SQL text seen so far of one kind. */
export function statementTexts(kind: StatementKind): string[] {
  return [...kindOfText].filter(([, seen]) => seen === kind).map(([text]) => text);
}

/** `after - before`, kind by kind. */
export function countsBetween(before: StatementCounts, after: StatementCounts): StatementCounts {
  const delta = emptyCounts();
  for (const kind of Object.keys(delta) as (keyof StatementCounts)[])
    delta[kind] = after[kind] - before[kind];
  return delta;
}

export function emptyCounts(): StatementCounts {
  return {
    begin: 0,
    commit: 0,
    rollback: 0,
    claim: 0,
    take_over: 0,
    complete: 0,
    release: 0,
    purge: 0,
    insert_row: 0,
    other: 0,
    total: 0,
  };
}
