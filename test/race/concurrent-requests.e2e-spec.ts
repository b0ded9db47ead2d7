import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { report, summarize } from '../support/race-summary.js';
import { useTestApps } from '../support/use-test-apps.js';
import { inFlight } from '../fixtures/race/race.controller.js';
import { raceModule } from '../fixtures/race/race.module.js';

const CONCURRENCY = 50;

describe('concurrent requests with one key', () => {
  const { apps } = useTestApps(({ url }) => raceModule(url, 'solo'));
  const [app] = apps;
  beforeEach(() => {
    inFlight.max = 0;
  });

  function burst(keys: string[]) {
    return Promise.all(
      keys.map((key) => app.http().post('/race').set('Idempotency-Key', key).send({ amount: 10 })),
    );
  }

  it(`runs the handler exactly once for ${CONCURRENCY} identical concurrent requests`, async () => {
    const key = newKey();
    const responses = await burst(Array(CONCURRENCY).fill(key));
    const summary = summarize(responses);
    report(
      '50 concurrent, one key',
      { handler: calls.of('race'), maxInFlight: inFlight.max },
      summary,
    );

    expect(calls.of('race')).toBe(1);
    // Every answer is the one 201 (first or replayed) or "still running": nothing else.
    expect((summary.statuses[201] ?? 0) + (summary.statuses[409] ?? 0)).toBe(CONCURRENCY);
    expect(summary.codes).toEqual(
      summary.statuses[409] ? { idempotency_key_in_use: summary.statuses[409] } : {},
    );
    expect(summary.firstExecutions).toBe(1);
    expect(summary.successBodies).toHaveLength(1);

    // Once it is done, the same burst is all replays of that one body.
    const again = summarize(await burst(Array(CONCURRENCY).fill(key)));
    report('50 concurrent, same key again', { handler: calls.of('race') }, again);
    expect(again.statuses).toEqual({ 201: CONCURRENCY });
    expect(again.replays).toBe(CONCURRENCY);
    expect(again.successBodies).toEqual(summary.successBodies);
    expect(calls.of('race')).toBe(1);
  });

  it(`(control) runs ${CONCURRENCY} concurrent requests with ${CONCURRENCY} keys ${CONCURRENCY} times`, async () => {
    const responses = await burst(Array.from({ length: CONCURRENCY }, () => newKey()));
    const summary = summarize(responses);
    report(
      '50 concurrent, 50 keys',
      { handler: calls.of('race'), maxInFlight: inFlight.max },
      summary,
    );
    expect(summary.statuses).toEqual({ 201: CONCURRENCY });
    expect(summary.firstExecutions).toBe(CONCURRENCY);
    expect(calls.of('race')).toBe(CONCURRENCY);
  });
});
