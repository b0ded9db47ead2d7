import { Test } from '@nestjs/testing';
import { IdempotencyModule, InMemoryIdempotencyStore } from '../../lib/index.js';
import { captureLogs } from '../support/log-capture.js';
import '../support/create-test-app.js';

/** The in-memory store, counting purges; the first `failures` of them fail. */
class PurgeCountingStore extends InMemoryIdempotencyStore {
  purges = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(private failures = 0) {
    super();
  }

  /** Resolves once `count` purges have run. */
  purged(count: number): Promise<void> {
    if (this.purges >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  override async purgeExpired(batchSize?: number): Promise<number> {
    this.purges += 1;
    for (const waiter of this.waiters.filter(({ count }) => this.purges >= count)) {
      waiter.resolve();
    }
    if (this.failures-- > 0) throw new Error('connection refused');
    return super.purgeExpired(batchSize);
  }
}

// IdempotencyService's purge timer (the module's `purgeInterval`).
describe('purgeInterval', () => {
  // compile() puts Nest's testing logger in place: logs are captured after it, before init().
  function compile(store: InMemoryIdempotencyStore, purgeInterval: string) {
    return Test.createTestingModule({
      imports: [IdempotencyModule.forRoot({ store, purgeInterval })],
    }).compile();
  }

  it('runs the purge every purgeInterval, and goes on after one that failed (logged)', async () => {
    const store = new PurgeCountingStore(1);
    const app = await compile(store, '100ms');
    const logs = captureLogs();
    try {
      await app.init();
      await store.purged(3);
    } finally {
      await app.close();
      logs.stop();
    }
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        text: 'Purging expired keys failed: connection refused',
      }),
    );
  });

  it('waits purgeInterval for the first purge, and stops purging when the app closes', async () => {
    const store = new PurgeCountingStore();
    const app = await (await compile(store, '100ms')).init();
    // A timer never fires early: after 20 ms, none has.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.purges).toBe(0);
    await store.purged(1);
    await app.close();
    const purges = store.purges;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(store.purges).toBe(purges);
  });
});
