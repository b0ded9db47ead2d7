import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { calls } from '../support/calls.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { report, summarize } from '../support/race-summary.js';
import { useTestApps } from '../support/use-test-apps.js';
import { raceModule } from '../fixtures/race/race.module.js';

const CONCURRENCY = 50;

// Two INestApplication instances, each with its own DataSource and pg pool, on one database:
// what two processes of one service look like to PostgreSQL.
describe('two app instances on one database', () => {
  const { apps } = useTestApps(
    ({ url }) => raceModule(url, 'a'),
    ({ url }) => raceModule(url, 'b'),
  );
  const [a, b] = apps;

  it('have separate DataSources and pools', () => {
    const dsA = a.app.get<DataSource>(getDataSourceToken());
    const dsB = b.app.get<DataSource>(getDataSourceToken());
    expect(dsA).not.toBe(dsB);
    expect((dsA.driver as unknown as { master: unknown }).master).not.toBe(
      (dsB.driver as unknown as { master: unknown }).master,
    );
  });

  it(`run the handler exactly once for ${CONCURRENCY} concurrent same-key requests spread over both`, async () => {
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, i) =>
        (i % 2 === 0 ? a : b).http().post('/race').set('Idempotency-Key', key).send({ amount: 10 }),
      ),
    );
    const summary = summarize(responses);
    report(
      'two apps, 50 concurrent, one key',
      { a: calls.of('race:a'), b: calls.of('race:b') },
      summary,
    );

    expect(calls.of('race')).toBe(1);
    expect(calls.of('race:a') + calls.of('race:b')).toBe(1);
    expect((summary.statuses[201] ?? 0) + (summary.statuses[409] ?? 0)).toBe(CONCURRENCY);
    expect(summary.codes).toEqual(
      summary.statuses[409] ? { idempotency_key_in_use: summary.statuses[409] } : {},
    );
    expect(summary.firstExecutions).toBe(1);
    expect(summary.successBodies).toHaveLength(1);
  });

  it('see a key in flight through the other instance, and replay what the other stored', async () => {
    const key = newKey();
    const gate = gates.create('two-apps');
    const first = a
      .http()
      .post('/race')
      .set('Idempotency-Key', key)
      .set('X-Gate', 'two-apps')
      .send({ amount: 1 })
      .then((r) => r);
    await gate.entered;
    const busy = await b.http().post('/race').set('Idempotency-Key', key).send({ amount: 1 });
    expectProblem(busy, 409, 'idempotency_key_in_use');
    gate.release();
    const done = await first;
    const replay = await b.http().post('/race').set('Idempotency-Key', key).send({ amount: 1 });
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.text).toBe(done.text);
    expect([calls.of('race:a'), calls.of('race:b')]).toEqual([1, 0]);
  });
});
