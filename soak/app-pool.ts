import { createServer } from 'node:net';
import { join } from 'node:path';
import { AppProcess, type AppExit } from './app-process.js';

/**
 * One place an app process runs, restarted whenever it exits. Only `B` is sent
 * `X-Simulate: crash`, so `A` lives through the whole run and its RSS shows a leak if there is
 * one; `B` rarely lives a minute.
 */
export interface AppSlot {
  name: 'A' | 'B';
  port: number;
  /** The running process; `undefined` while it is being restarted. */
  app?: AppProcess;
  restarts: number;
  /** How long each restart took, from the exit to a healthy `/health`. */
  restartMs: number[];
}

/** Two sample-app processes on one database, each restarted by a supervisor when it exits. */
export class AppPool {
  readonly slots: AppSlot[] = [];
  private next = 0;
  private stopping = false;
  private readonly supervisors: Promise<void>[] = [];

  constructor(
    private readonly options: {
      env: Record<string, string>;
      logDir: string;
      onExit: (slot: AppSlot, exit: AppExit) => void;
    },
  ) {}

  /** Starts `A` (which runs the migrations alone), then `B`. */
  async start(): Promise<void> {
    for (const name of ['A', 'B'] as const) {
      const slot: AppSlot = { name, port: await freePort(), restarts: 0, restartMs: [] };
      slot.app = await this.launch(slot);
      this.slots.push(slot);
      this.supervisors.push(this.supervise(slot));
    }
  }

  /** The next live process, round robin; `undefined` when none is up. */
  pick(): { slot: AppSlot; app: AppProcess } | undefined {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[this.next++ % this.slots.length];
      if (slot.app?.alive) return { slot, app: slot.app };
    }
    return undefined;
  }

  /** `B` once it is up: where crashes are sent. */
  async crashTarget(): Promise<{ slot: AppSlot; app: AppProcess }> {
    const slot = this.slots[1];
    while (!slot.app?.alive) await delay(50);
    return { slot, app: slot.app };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((slot) => slot.app?.stop()));
    await Promise.all(this.supervisors);
    await Promise.all(this.slots.map((slot) => slot.app?.stop())); // one started meanwhile
  }

  private launch(slot: AppSlot): Promise<AppProcess> {
    return AppProcess.start({
      port: slot.port,
      env: this.options.env,
      logFile: join(this.options.logDir, `app-${slot.name}.log`),
    });
  }

  private async supervise(slot: AppSlot): Promise<void> {
    while (!this.stopping) {
      const exit = await slot.app!.exited;
      if (this.stopping) return;
      const exitedAt = performance.now();
      slot.app = undefined;
      this.options.onExit(slot, exit);
      while (!this.stopping && slot.app === undefined) {
        try {
          slot.app = await this.launch(slot);
        } catch {
          await delay(500); // e.g. the port not yet free: try again
        }
      }
      slot.restarts++;
      slot.restartMs.push(performance.now() - exitedAt);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
