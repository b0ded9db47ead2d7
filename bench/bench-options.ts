/** How long and how wide each part of the bench runs. */
export interface BenchOptions {
  mode: 'full' | 'quick';
  http: { connections: number[]; rounds: number; seconds: number; warmupSeconds: number };
  store: {
    concurrency: number[];
    shapesConcurrency: number;
    rounds: number;
    seconds: number;
    warmupSeconds: number;
  };
  growth: {
    sizes: number[];
    expiredShare: number;
    concurrency: number;
    rounds: number;
    seconds: number;
    warmupSeconds: number;
  };
  memory: { requests: number; checkpoints: number; connections: number; warmupRequests: number };
}

const FULL: BenchOptions = {
  mode: 'full',
  http: { connections: [16, 64], rounds: 3, seconds: 8, warmupSeconds: 2 },
  store: {
    concurrency: [1, 16],
    shapesConcurrency: 16,
    rounds: 3,
    seconds: 0.8,
    warmupSeconds: 0.2,
  },
  growth: {
    sizes: [10_000, 1_000_000, 10_000_000],
    expiredShare: 0.1,
    concurrency: 8,
    rounds: 3,
    seconds: 1.25,
    warmupSeconds: 0.3,
  },
  memory: { requests: 200_000, checkpoints: 8, connections: 64, warmupRequests: 2000 },
};

const QUICK: BenchOptions = {
  mode: 'quick',
  http: { connections: [16, 64], rounds: 2, seconds: 0.5, warmupSeconds: 0.2 },
  store: { concurrency: [16], shapesConcurrency: 16, rounds: 1, seconds: 0.5, warmupSeconds: 0.1 },
  growth: {
    sizes: [10_000, 100_000],
    expiredShare: 0.1,
    concurrency: 8,
    rounds: 2,
    seconds: 0.5,
    warmupSeconds: 0.1,
  },
  memory: { requests: 4_000, checkpoints: 4, connections: 64, warmupRequests: 500 },
};

/** `--quick` selects the one-minute version. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const unknown = argv.filter((arg) => arg !== '--quick');
  if (unknown.length > 0)
    throw new Error(`Unknown argument(s): ${unknown.join(' ')}. Usage: npm run bench [-- --quick]`);
  return argv.includes('--quick') ? QUICK : FULL;
}
