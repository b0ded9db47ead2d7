import { Test } from '@nestjs/testing';
import {
  IdempotencyException,
  IdempotencyModule,
  IdempotencyService,
  InMemoryIdempotencyStore,
} from '../../lib/index.js';

// IdempotencyService.run() takes its key from the caller's code, not from a header: as it is.
describe('IdempotencyService.run() keys', () => {
  let service: IdempotencyService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [IdempotencyModule.forRoot({ store: new InMemoryIdempotencyStore() })],
    }).compile();
    service = moduleRef.get(IdempotencyService);
  });

  it('takes "X" and X as two keys', async () => {
    let runs = 0;
    const fn = async () => ++runs;
    expect(await service.run('events', 'X', fn)).toBe(1);
    expect(await service.run('events', '"X"', fn)).toBe(2);
    expect(await service.run('events', '"X"', fn)).toBe(2);
    expect(await service.run('events', 'X', fn)).toBe(1);
  });

  it.each([
    ['an empty key', ''],
    ['a space', 'a b'],
    ['a lone surrogate', '\ud800'],
  ])('refuses %s with idempotency_key_invalid', async (_, key) => {
    const run = service.run('events', key, async () => 1);
    await expect(run).rejects.toBeInstanceOf(IdempotencyException);
    await expect(run).rejects.toMatchObject({ problem: { code: 'idempotency_key_invalid' } });
  });
});
