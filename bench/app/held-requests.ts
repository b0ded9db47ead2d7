let release: () => void = () => undefined;

/** Settles when the app shuts down: the `/held` handler waits on it, so its key stays in flight. */
export const shutdownSignal = new Promise<void>((resolve) => (release = resolve));

/** Lets every held handler finish. */
export function releaseHeldRequests(): void {
  release();
}
