// The mutation score of lib/, from the last report of every group (test/mutation/groups.mjs):
// per file, per group and in all, then every mutant that no test detected. Scores as StrykerJS
// counts them: detected (killed, timed out) over valid (detected, survived, not covered);
// mutants that do not compile or crash the runner, and ignored ones, are not scored.
//   node scripts/mutation-summary.mjs [--markdown]
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GROUPS, reportsOf } from '../test/mutation/groups.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const markdown = process.argv.includes('--markdown');
const COLUMNS = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'invalid', 'Ignored'];

function tally(mutants) {
  const counts = Object.fromEntries(COLUMNS.map((column) => [column, 0]));
  for (const { status } of mutants) {
    const column = COLUMNS.includes(status) ? status : 'invalid'; // CompileError, RuntimeError
    counts[column] += 1;
  }
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  return { ...counts, score: valid === 0 ? null : (100 * detected) / valid, detected, valid };
}

function cells(name, t) {
  const score = t.score === null ? 'n/a' : `${t.score.toFixed(1)}%`;
  return [name, ...COLUMNS.map((column) => String(t[column])), score];
}

function format(values) {
  if (markdown) return `| ${values.join(' | ')} |`;
  return values.map((value, i) => (i === 0 ? value.padEnd(56) : value.padStart(9))).join('');
}

const header = ['file', 'killed', 'timeout', 'survived', 'no cover', 'invalid', 'ignored', 'score'];
const lines = [format(header)];
if (markdown) lines.push(`|${' --- |'.repeat(header.length)}`);
const all = [];
const undetected = [];
const missing = [];
for (const group of GROUPS) {
  const file = `${ROOT}${reportsOf(group.name)}/mutation.json`;
  if (!existsSync(file)) {
    missing.push(group.name);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const groupMutants = [];
  for (const [path, { mutants }] of Object.entries(report.files).sort()) {
    groupMutants.push(...mutants);
    lines.push(format(cells(path, tally(mutants))));
    for (const m of mutants.filter(
      ({ status }) => status === 'Survived' || status === 'NoCoverage',
    )) {
      const at = `${path}:${m.location.start.line}:${m.location.start.column}`;
      undetected.push(
        `${m.status.padEnd(10)} ${at} ${m.mutatorName}: ${m.replacement ?? ''}`.replace(
          /\s+/g,
          ' ',
        ),
      );
    }
  }
  const when = statSync(file).mtime.toISOString().slice(0, 16).replace('T', ' ');
  lines.push(format(cells(`group ${group.name} (report of ${when} UTC)`, tally(groupMutants))));
  all.push(...groupMutants);
}
const name = `lib/${missing.length ? ` (no report of ${missing.join(', ')})` : ''}`;
lines.push(format(cells(name, tally(all))));
console.log(lines.join('\n'));
console.log(`\nNot detected (${undetected.length}):`);
console.log(undetected.join('\n'));
