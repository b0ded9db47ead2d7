import { readFileSync } from 'node:fs';

/** The notice every app with `SAMPLE_FAULTS=1` logs at start-up: expected, not news. */
const EXPECTED = /SAMPLE_FAULTS=1/;
const PROBLEM = /\b(WARN|ERROR)\b/;

/**
 * The warning and error lines of the apps' logs, counted by message (timestamps and pids
 * left out), most frequent first.
 */
export function logProblems(files: readonly string[]): { message: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!PROBLEM.test(line) || EXPECTED.test(line)) continue;
      const message = line.replace(/^\[Nest\] \d+\s+- .*? (AM|PM)\s+/, '').trim();
      counts.set(message, (counts.get(message) ?? 0) + 1);
    }
  }
  return [...counts]
    .map(([message, count]) => ({ message, count }))
    .sort((a, b) => b.count - a.count);
}
