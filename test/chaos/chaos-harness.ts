import { randomUUID } from 'node:crypto';
import { delay } from '../support/delay.js';
import {
  restartSampleApp,
  startSampleApp,
  type SampleApp,
  type SampleAppResponse,
} from '../support/sample-app-process.js';

/** How big a chaos run is. */
export interface ChaosConfig {
  operations: number;
  /** The run fails unless at least this many processes were SIGKILLed. */
  minKills: number;
  processes: number;
  /** Operations in flight at once. */
  concurrency: number;
  users: number;
  /** Mean pause between two kills by the harness, in ms. */
  meanKillIntervalMs: number;
  /** Extra environment of every app process. */
  env: Record<string, string>;
  /** Probability that one attempt carries each `X-Simulate` fault. */
  faults: Record<string, number>;
  /** Share of operations that are webhook deliveries; the rest are adjustments. */
  webhookShare: number;
  /** Smallest adjustment delta (negative deltas take money away). */
  minDelta: number;
}

/** One logical operation, retried with its own key until it gets a final answer. */
export interface Operation {
  index: number;
  kind: 'adjust' | 'webhook';
  key: string;
  userId: string;
  /** The change to the balance this operation must make, once. */
  amount: number;
  path: string;
  body: Record<string, unknown>;
  attempts: number;
  /** Every final (non-409, non-5xx) answer it got, first and verification replay. */
  answers: SampleAppResponse[];
}

/** What a run counted. */
export interface ChaosReport {
  operations: number;
  attempts: number;
  retries: number;
  harnessKills: number;
  faultKills: number;
  restarts: number;
  inUse409: number;
  connectionErrors: number;
  serverErrors: { status: number; text: string }[];
  elapsedMs: number;
  /** Repeat the same choices with CHAOS_SEED=<seed>. */
  seed: number;
}

/**
 * Runs `config.operations` balance changes (adjustments and webhook credits) against several
 * sample-app processes on one database while SIGKILLing them at random moments and restarting
 * them. Each operation is retried with its own key until it gets an answer that is neither 409
 * nor 5xx, then sent once more, which must replay the same answer.
 */
export async function runChaos(databaseUrl: string, token: string, config: ChaosConfig) {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const random = seededRandom(seed);
  const report: ChaosReport = {
    operations: config.operations,
    attempts: 0,
    retries: 0,
    harnessKills: 0,
    faultKills: 0,
    restarts: 0,
    inUse409: 0,
    connectionErrors: 0,
    serverErrors: [],
    elapsedMs: 0,
    seed,
  };
  const started = Date.now();
  const env = { SAMPLE_FAULTS: '1', ...config.env };

  // The first process runs the migrations alone; the others start once the schema is there.
  const slots: SampleApp[] = [await startSampleApp({ databaseUrl, env })];
  for (let i = 1; i < config.processes; i++) slots.push(await startSampleApp({ databaseUrl, env }));
  const harnessKilled = new Set<number>();
  let running = true;
  // The killer's pause is cancelled at the end, so no timer outlives the run.
  let killerTimer: NodeJS.Timeout | undefined;
  let stopKiller!: () => void;
  const killerStopped = new Promise<void>((resolve) => {
    stopKiller = () => {
      clearTimeout(killerTimer);
      resolve();
    };
  });
  const killerPause = (ms: number) =>
    Promise.race([
      new Promise((resolve) => (killerTimer = setTimeout(resolve, ms))),
      killerStopped,
    ]);

  // Supervisor: whatever killed a process (the harness or a fault), start it again.
  const supervise = async (slot: number): Promise<void> => {
    while (running) {
      const app = slots[slot];
      await app.exited;
      if (!running) return;
      if (!harnessKilled.delete(app.pid)) report.faultKills++;
      for (;;) {
        try {
          slots[slot] = await restartSampleApp(app);
          report.restarts++;
          if (!running) await slots[slot].kill();
          break;
        } catch {
          if (!running) return;
          await delay(200);
        }
      }
    }
  };
  const supervisors = slots.map((_, slot) => supervise(slot));

  // Killer: SIGKILL a random live process at random moments.
  const killer = (async () => {
    while (running) {
      await killerPause(config.meanKillIntervalMs * (0.25 + 1.5 * random()));
      const live = slots.filter((app) => app.alive);
      if (!running || live.length === 0) continue;
      const victim = live[Math.floor(random() * live.length)];
      harnessKilled.add(victim.pid);
      report.harnessKills++;
      await victim.kill('SIGKILL');
    }
  })();

  const operations = Array.from({ length: config.operations }, (_, index) =>
    makeOperation(index, random, config),
  );
  const send = async (
    operation: Operation,
    fault: string | undefined,
  ): Promise<SampleAppResponse | undefined> => {
    const live = slots.filter((app) => app.alive);
    if (live.length === 0) {
      await delay(50);
      return undefined;
    }
    const app = live[Math.floor(random() * live.length)];
    report.attempts++;
    operation.attempts++;
    try {
      return await app.request('POST', operation.path, {
        token,
        key: operation.key,
        body: operation.body,
        headers: fault ? { 'x-simulate': fault } : {},
      });
    } catch {
      report.connectionErrors++; // the process died under this request
      return undefined;
    }
  };
  const settle = async (operation: Operation, withFaults: boolean): Promise<SampleAppResponse> => {
    for (;;) {
      const response = await send(
        operation,
        withFaults ? pickFault(random, config.faults) : undefined,
      );
      if (response === undefined) {
        await delay(20 + 80 * random());
        continue;
      }
      if (response.status === 409 && response.json?.code === 'idempotency_key_in_use') {
        report.inUse409++;
        await delay(50 + 100 * random());
        continue;
      }
      if (response.status >= 500) {
        report.serverErrors.push({ status: response.status, text: response.text });
        await delay(50);
        continue;
      }
      return response;
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < operations.length) {
      const operation = operations[next++];
      operation.answers.push(await settle(operation, true));
      operation.answers.push(await settle(operation, false)); // must replay the same answer
    }
  };
  try {
    await Promise.all(Array.from({ length: config.concurrency }, worker));
  } finally {
    running = false;
    stopKiller();
    await killer;
    await Promise.all(slots.map((app) => app.kill('SIGKILL')));
    await Promise.all(supervisors);
    await Promise.all(slots.map((app) => app.kill('SIGKILL'))); // any started meanwhile
  }
  report.retries = operations.reduce((sum, op) => sum + op.attempts, 0) - 2 * operations.length;
  report.elapsedMs = Date.now() - started;

  // One fresh process answers the balance reads.
  const reader = await startSampleApp({ databaseUrl, env });
  return { report, operations, reader };
}

function makeOperation(index: number, random: () => number, config: ChaosConfig): Operation {
  const userId = `user-${Math.floor(random() * config.users)}`;
  const key = `chaos-${index}-${randomUUID()}`;
  if (random() >= config.webhookShare) {
    const amount = config.minDelta + Math.floor(random() * (100 - config.minDelta)) || 1;
    return {
      index,
      kind: 'adjust',
      key,
      userId,
      amount,
      path: '/economy/adjust',
      body: { user_id: userId, delta: amount, reason: `chaos op ${index}` },
      attempts: 0,
      answers: [],
    };
  }
  const amount = 1 + Math.floor(random() * 100);
  return {
    index,
    kind: 'webhook',
    key,
    userId,
    amount,
    path: '/webhooks/events',
    body: { id: key, type: 'balance.credited', data: { user_id: userId, amount } },
    attempts: 0,
    answers: [],
  };
}

function pickFault(random: () => number, faults: Record<string, number>): string | undefined {
  let roll = random();
  for (const [fault, probability] of Object.entries(faults)) {
    if (roll < probability) return fault;
    roll -= probability;
  }
  return undefined;
}

/** mulberry32: a run can be repeated with CHAOS_SEED. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
