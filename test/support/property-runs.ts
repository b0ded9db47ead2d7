/**
 * Cases per property: `FAST_CHECK_RUNS`, 1,000 by default (`npm test`); `npm run
 * test:properties` runs 100,000.
 */
export const PROPERTY_RUNS = Number(process.env.FAST_CHECK_RUNS ?? 1000);

/** A Jest timeout for a property whose case takes about `msPerRun`, with room to spare. */
export function propertyTimeout(msPerRun: number): number {
  return Math.max(60_000, PROPERTY_RUNS * msPerRun * 3);
}
