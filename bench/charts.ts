// The two charts of BENCHMARKS.md, drawn from a run's own figures (bench/results/latest.json).
// Redraw them from a saved run with:
//   node -e "import('./build/bench/charts.js').then((m) => m.redrawCharts('bench/results'))"
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults } from './report.js';
import { barChart, logLineChart } from './support/svg-chart.js';

/** Short names for the bars (the tables carry the long ones). */
const SHORT: Record<string, string> = {
  plain: 'plain (no decorator)',
  first: 'first execution',
  replay: 'replay',
  in_flight: 'key in flight (409)',
  first_tx: 'first execution, transactional',
  exp_tx_named: 'experiment: transactional, named',
  sample_plain: 'sample app, no key',
  sample_first: 'sample app, fresh key (transactional)',
  sample_replay: 'sample app, replay',
};

/** Writes `http-throughput.svg` and `claim-p99-growth.svg` into `dir`. */
export function writeCharts(results: BenchResults, dir: string): void {
  writeFileSync(join(dir, 'http-throughput.svg'), httpChart(results));
  writeFileSync(join(dir, 'claim-p99-growth.svg'), growthChart(results));
}

/** Redraws the charts from the `latest.json` in `dir`. */
export function redrawCharts(dir: string): void {
  writeCharts(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchResults, dir);
}

function httpChart(results: BenchResults): string {
  const cases = results.http!.cases;
  const connections = [...new Set(cases.map((c) => c.connections))];
  const ids = [...new Set(cases.map((c) => c.id))];
  return barChart({
    title: `req/s per route (median of interleaved rounds; label: x plain, sample app: x its no-key route) - ${results.date.slice(0, 10)}, ${results.machine.cpus.split(' x ')[0]} CPUs`,
    yLabel: 'requests per second',
    series: connections.map((n) => `${n} connections`),
    groups: ids.map((id) => ({
      label: SHORT[id] ?? cases.find((c) => c.id === id)!.short,
      values: connections.map((n) => {
        const c = cases.find((k) => k.id === id && k.connections === n);
        return c && { value: c.requestsPerSecond, note: `${c.ratioToPlain.toFixed(2)}x` };
      }),
    })),
  });
}

function growthChart(results: BenchResults): string {
  const sizes = results.growth!.sizes;
  return logLineChart({
    title: `claim and replay p99 against table size (library store, ${results.growth!.concurrency} concurrent)`,
    xLabel: 'rows already in idempotency_keys (log scale)',
    yLabel: 'p99 latency, ms',
    series: [
      { name: 'claim p99', points: sizes.map((s) => ({ x: s.rows, y: s.claim.p99 })) },
      { name: 'replay p99', points: sizes.map((s) => ({ x: s.rows, y: s.replay.p99 })) },
    ],
    limit: {
      name: `target: 1.5x claim p99 at ${sizes[0].rows.toLocaleString('en')} rows`,
      y: sizes[0].claim.p99 * 1.5,
    },
  });
}
