/** What `npm run soak [-- --minutes N] [-- --rate N]` was asked for. */
export interface SoakOptions {
  /** How long the load runs, in minutes (the drain and the checks come after). */
  minutes: number;
  /** New operations started per second, whatever the answers take (an open loop). */
  rate: number;
}

const USAGE = 'Usage: npm run soak [-- --minutes 30] [-- --rate 20]';

/** Reads `--minutes N` (default 30) and `--rate N` (default 20). */
export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { minutes: 30, rate: 20 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, raw] = [argv[i], argv[i + 1]];
    const value = Number(raw);
    if ((name !== '--minutes' && name !== '--rate') || !(value > 0) || !Number.isFinite(value))
      throw new Error(`Bad argument(s) ${argv.slice(i, i + 2).join(' ')}. ${USAGE}`);
    options[name === '--minutes' ? 'minutes' : 'rate'] = value;
  }
  return options;
}
