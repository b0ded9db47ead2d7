import { percentile } from '../bench/support/stats.js';
import type { KeysTableSample } from './soak-database.js';
import type { Counts } from './soak-stats.js';

/** RSS of both processes and the keys table at one moment. */
export interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssA?: number;
  /** In a minute's row: the highest of the minute's samples, across B's restarts. */
  rssB?: number;
  keys?: KeysTableSample;
}

const COLUMNS = [
  'minute',
  'requests',
  'replays',
  '409 in_use',
  'conn. errors (crashes)',
  '5xx',
  'other errors',
  'crashes',
  'RSS A (MiB)',
  'RSS B peak (MiB)',
  'keys rows',
  'of which expired',
  'keys size (MiB)',
  'purged',
  'p50 (ms)',
  'p99 (ms)',
];

/** The Markdown header of the per-minute table. */
export function minuteHeader(): string {
  return `| ${COLUMNS.join(' | ')} |\n|${COLUMNS.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
}

/** One row: the minute's counts, and the sample taken at its end. `purged` since the last row. */
export function minuteRow(label: string, counts: Counts, sample: Sample, purged: number): string {
  const cells = [
    label,
    counts.requests,
    counts.replays,
    counts.inUse,
    counts.crashConnectionErrors,
    counts.serverErrors,
    counts.otherErrors,
    counts.crashes,
    mib(sample.rssA, 0),
    mib(sample.rssB, 0),
    sample.keys?.rows ?? '-',
    sample.keys?.expired ?? '-',
    mib(sample.keys?.bytes, 2),
    purged,
    ms(percentile(counts.latencies, 50)),
    ms(percentile(counts.latencies, 99)),
  ];
  return `| ${cells.join(' | ')} |`;
}

export function mib(bytes: number | undefined, digits: number): string {
  return bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(digits);
}

function ms(value: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(value < 10 ? 1 : 0);
}
