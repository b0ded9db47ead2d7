import type { BenchOptions } from './bench-options.js';
import { BenchAppProcess } from './support/app-process.js';
import { runLoad } from './support/http-load.js';

/** The app's memory after each slice of requests with distinct keys. */
export interface MemoryCheckpoint {
  requests: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** After a forced garbage collection: what the app really keeps. */
  heapAfterGcMiB: number;
  rssAfterGcMiB: number;
}

export interface MemoryResults {
  requests: number;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  statuses: Record<string, number>;
  baseline: MemoryCheckpoint;
  checkpoints: MemoryCheckpoint[];
  /** RSS at the end over RSS at the first checkpoint (after warm-up and the first slice). */
  rssGrowth: number;
  heapAfterGcGrowthMiB: number;
}

const MiB = 1024 * 1024;

/** Part 4: a fresh app serves `requests` first executions; its memory is read between slices. */
export async function runMemoryBench(
  databaseUrl: string,
  options: BenchOptions['memory'],
  log: (line: string) => void,
): Promise<MemoryResults> {
  const app = await BenchAppProcess.start({ databaseUrl });
  try {
    await runLoad({
      url: app.url,
      path: '/idempotent',
      connections: options.connections,
      amount: options.warmupRequests,
      keys: { kind: 'fresh', prefix: 'memory-warm' },
    });
    const read = async (requests: number): Promise<MemoryCheckpoint> => {
      const { memory } = await app.settledStats();
      const afterGc = await app.collectGarbage();
      return {
        requests,
        rssMiB: memory.rss / MiB,
        heapUsedMiB: memory.heapUsed / MiB,
        heapAfterGcMiB: afterGc.heapUsed / MiB,
        rssAfterGcMiB: afterGc.rss / MiB,
      };
    };
    const baseline = await read(0);
    const slice = Math.ceil(options.requests / options.checkpoints);
    const checkpoints: MemoryCheckpoint[] = [];
    const statuses: Record<string, number> = {};
    let done = 0;
    let seconds = 0;
    for (let i = 0; i < options.checkpoints; i++) {
      const amount = Math.min(slice, options.requests - done);
      const result = await runLoad({
        url: app.url,
        path: '/idempotent',
        connections: options.connections,
        amount,
        keys: { kind: 'fresh', prefix: `memory-${i}` },
      });
      done += result.requests;
      seconds += result.seconds;
      for (const [status, n] of Object.entries(result.statuses))
        statuses[status] = (statuses[status] ?? 0) + n;
      const checkpoint = await read(done);
      checkpoints.push(checkpoint);
      log(
        `memory: ${done.toLocaleString('en')} requests, RSS ${checkpoint.rssMiB.toFixed(1)} MiB, heap after GC ${checkpoint.heapAfterGcMiB.toFixed(1)} MiB`,
      );
    }
    return {
      requests: done,
      connections: options.connections,
      seconds,
      requestsPerSecond: done / seconds,
      statuses,
      baseline,
      checkpoints,
      rssGrowth: checkpoints.at(-1)!.rssMiB / checkpoints[0].rssMiB,
      heapAfterGcGrowthMiB: checkpoints.at(-1)!.heapAfterGcMiB - checkpoints[0].heapAfterGcMiB,
    };
  } finally {
    await app.stop();
  }
}
