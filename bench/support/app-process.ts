import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StatementCounts } from './query-counter.js';

/** What the bench app reports about itself (see bench/app/bench-stats.controller.ts). */
export interface AppStats {
  /** Responses the app finished (its own `/_bench` calls left out). */
  handled: number;
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  statements: StatementCounts;
}

const MAIN = fileURLToPath(new URL('../app/main.js', import.meta.url));

/** One bench app in its own process, on a free loopback port. */
export class BenchAppProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Forks `build/bench/app/main.js` (with `execArgv` added to node's) and waits until it listens. */
  static start(env: {
    databaseUrl: string;
    poolSize?: number;
    execArgv?: string[];
  }): Promise<BenchAppProcess> {
    const child = fork(MAIN, [], {
      execArgv: ['--expose-gc', ...(env.execArgv ?? [])],
      env: {
        ...process.env,
        BENCH_DATABASE_URL: env.databaseUrl,
        BENCH_POOL_SIZE: String(env.poolSize ?? 10),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('bench app did not start within 60 s')),
        60_000,
      );
      child.once('exit', (code) =>
        reject(new Error(`bench app exited with code ${code} before listening`)),
      );
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type !== 'listening') return;
        clearTimeout(timer);
        resolve(new BenchAppProcess(child, `http://127.0.0.1:${message.port}`));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stats(): Promise<AppStats> {
    const response = await fetch(`${this.url}/_bench/stats`);
    return (await response.json()) as AppStats;
  }

  /**
   * Stats once the app has finished what was in flight: a load run stops with requests still
   * being served, and their CPU time and statements must be counted with them.
   */
  async settledStats(): Promise<AppStats> {
    let last = await this.stats();
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const next = await this.stats();
      if (next.handled === last.handled && next.statements.total === last.statements.total)
        return next;
      last = next;
    }
    return last;
  }

  /** Collects garbage in the app, then returns its memory figures. */
  async collectGarbage(): Promise<NodeJS.MemoryUsage> {
    const response = await fetch(`${this.url}/_bench/gc`, { method: 'POST' });
    return ((await response.json()) as { memory: NodeJS.MemoryUsage }).memory;
  }

  /** Asks the app to shut down, and kills it if it has not gone after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send('shutdown');
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
