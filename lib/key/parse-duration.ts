const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Seconds in a duration (`30`, `"30s"`, `"24h"`...), or `undefined` unless it is > 0. */
export function parseDuration(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]] : undefined;
  }
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
