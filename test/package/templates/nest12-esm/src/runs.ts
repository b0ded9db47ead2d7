/** How many times each handler ran, by name; `GET /runs` reads it. */
export const runs: Record<string, number> = {};

export function countRun(name: string): number {
  runs[name] = (runs[name] ?? 0) + 1;
  return runs[name];
}
