/** How many times each fixture handler (or pipe) really ran, by name. */
export class Calls {
  private readonly counts = new Map<string, number>();

  /** Counts one run of `name` and returns the new total. */
  count(name: string): number {
    const total = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, total);
    return total;
  }

  of(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  reset(): void {
    this.counts.clear();
  }
}

/** The counter every fixture handler increments. */
export const calls = new Calls();
