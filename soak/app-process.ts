import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { send } from './http-call.js';

/** The sample app as `npm start` runs it: the built `main.js`. */
const MAIN = fileURLToPath(new URL('../sample-app/main.js', import.meta.url));
/** Variables of the soak's own process that must not reach the app. */
const SCRUBBED_ENV = /^(NODE_OPTIONS|PORT|HOST|DATABASE_URL|SAMPLE_.*|IDEMPOTENCY_.*)$/;

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running `node build/sample-app/main.js`, its output appended to `logFile`. */
export class AppProcess {
  private exit?: AppExit;
  readonly exited: Promise<AppExit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.exit = { code, signal })));
    });
  }

  /**
   * Starts the app and waits until `GET /health` answers 200.
   * @throws Error when it exits first or is not healthy within 60 s (it is killed then)
   */
  static async start(options: {
    port: number;
    env: Record<string, string>;
    logFile: string;
  }): Promise<AppProcess> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env))
      if (value !== undefined && !SCRUBBED_ENV.test(name)) env[name] = value;
    Object.assign(env, options.env, { PORT: String(options.port), HOST: '127.0.0.1' });
    const log = openSync(options.logFile, 'a');
    try {
      const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', log, log] });
      const app = new AppProcess(child, options.port);
      await waitUntilHealthy(app, 60_000);
      return app;
    } finally {
      closeSync(log); // the child has its own copy
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resident set size in bytes, from /proc (Linux); `undefined` once it has exited. */
  rssBytes(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      return kib && this.alive ? Number(kib[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** SIGTERM (a graceful stop), then SIGKILL after 10 s. */
  async stop(): Promise<AppExit> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function waitUntilHealthy(app: AppProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (app.alive && Date.now() < deadline) {
    const result = await send(app.port, 'GET', '/health', {}, undefined, 5_000);
    if (result.kind === 'answer' && result.status === 200) return;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), app.exited]);
  }
  app.kill();
  const { code, signal } = await app.exited;
  throw new Error(
    `sample app (pid ${app.pid}, port ${app.port}) was not healthy in time (exit code ${code}, signal ${signal})`,
  );
}
