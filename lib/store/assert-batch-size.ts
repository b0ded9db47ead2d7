// A batch of 0 would delete nothing forever, and never come back short to end the loop.
export function assertBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`purgeExpired: batchSize must be a positive integer, got ${batchSize}`);
  }
}
