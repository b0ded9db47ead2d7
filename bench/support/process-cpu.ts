import { readdirSync, readFileSync } from 'node:fs';

/** CPU time of the machine and of this bench's processes at one moment (Linux /proc only). */
export interface CpuSnapshot {
  /** Busy time of all CPUs, ms. */
  machineBusyMs: number;
  /** Wall time of all CPUs together (busy + idle), ms. */
  machineTotalMs: number;
  /** CPU time (user + system) per process of this bench, ms, by pid. */
  processes: Map<number, { name: string; cpuMs: number }>;
}

/** Where the CPU time between two snapshots went, ms. */
export interface CpuSplit {
  /** The app process(es) under test. */
  appMs: number;
  /** PostgreSQL server processes started by this run (0 with an external DATABASE_URL). */
  postgresMs: number;
  /** This runner (the load generator). */
  runnerMs: number;
  /** Everything else on the machine: other users' work, which the ratios have to live with. */
  otherMs: number;
  /** `otherMs` as a share of all the CPU time the machine had. */
  otherShare: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Reads /proc; `undefined` where there is no /proc. */
export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = cpu[3] + cpu[4];
    const total = cpu.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const parents = new Map<number, number>();
    const stats = new Map<number, { name: string; cpuMs: number }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let text: string;
      try {
        text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // the process ended meanwhile
      }
      const close = text.lastIndexOf(')');
      const name = text.slice(text.indexOf('(') + 1, close);
      const fields = text.slice(close + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      stats.set(Number(entry), {
        name,
        cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      });
    }
    const processes = new Map<number, { name: string; cpuMs: number }>();
    for (const [pid, stat] of stats)
      if (descendsFrom(pid, process.pid, parents)) processes.set(pid, stat);
    return { machineBusyMs: (total - idle) * TICK_MS, machineTotalMs: total * TICK_MS, processes };
  } catch {
    return undefined;
  }
}

/** Splits the CPU time between two snapshots among the app(s), PostgreSQL, the runner and the rest. */
export function cpuBetween(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  appPids: readonly number[],
): CpuSplit | undefined {
  if (!before || !after) return undefined;
  let appMs = 0;
  let postgresMs = 0;
  let runnerMs = 0;
  let oursMs = 0;
  for (const [pid, stat] of after.processes) {
    const delta = stat.cpuMs - (before.processes.get(pid)?.cpuMs ?? 0);
    oursMs += delta;
    if (appPids.includes(pid)) appMs += delta;
    else if (pid === process.pid) runnerMs += delta;
    else if (stat.name === 'postgres') postgresMs += delta;
  }
  const busy = after.machineBusyMs - before.machineBusyMs;
  const total = after.machineTotalMs - before.machineTotalMs;
  const otherMs = Math.max(0, busy - oursMs);
  return { appMs, postgresMs, runnerMs, otherMs, otherShare: total > 0 ? otherMs / total : 0 };
}

function descendsFrom(pid: number, ancestor: number, parents: Map<number, number>): boolean {
  for (let current = pid, hops = 0; current > 1 && hops < 50; hops++) {
    if (current === ancestor) return true;
    current = parents.get(current) ?? 0;
  }
  return false;
}
