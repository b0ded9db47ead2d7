import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/free-port.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../sample-app/main.js', import.meta.url));

/**
 * The sample app as `npm start` runs it (`node build/sample-app/main.js`, built from the same
 * sources by the bench's `tsc`), on `DATABASE_URL` instead of its embedded PostgreSQL, so that
 * its statements run on the bench's server (and its CPU is counted there). It migrates its
 * database at start-up.
 */
export class SampleAppProcess {
  /** The end of what it wrote, for the error message when it does not start. */
  output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(databaseUrl: string): Promise<SampleAppProcess> {
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(NODE_OPTIONS|SAMPLE_FAULTS|IDEMPOTENCY_.*)$/.test(name))
        env[name] = value;
    }
    Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl });
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new SampleAppProcess(child, `http://127.0.0.1:${port}`);
    const keep = (chunk: Buffer) => (app.output = (app.output + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        if ((await fetch(`${app.url}/health`)).status === 200) return app;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await app.stop();
    throw new Error(`the sample app did not get healthy within 60 s:\n${app.output}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM (its graceful shutdown), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
