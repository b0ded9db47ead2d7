import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { BackgroundRetries, type RetriedWrite } from '../../lib/store/background-retries.js';
import { isConnectionError, mayHaveRun } from '../../lib/store/is-connection-error.js';
import { Gate } from '../support/gate.js';
import { captureLogs } from '../support/log-capture.js';

Logger.overrideLogger(false);

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
  code: 'ECONNREFUSED',
});

/** A write that fails with `failures` errors in turn, then succeeds; counts its runs. */
function write(id: string, failures: unknown[] = []): RetriedWrite & { runs: number } {
  const pending = [...failures];
  const result = {
    id,
    label: `write ${id}`,
    runs: 0,
    run: async () => {
      result.runs++;
      const failure = pending.shift();
      if (failure !== undefined) throw failure;
    },
  };
  return result;
}

describe('BackgroundRetries', () => {
  let retries: BackgroundRetries;

  beforeEach(() => {
    jest.useFakeTimers();
    retries = new BackgroundRetries();
  });
  afterEach(() => {
    retries.close();
    jest.useRealTimers();
  });

  it('tries a write again every half second until the database answers', async () => {
    const w = write('a', [refused, refused]);
    retries.add(w);
    await jest.advanceTimersByTimeAsync(499);
    expect(w.runs).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(w.runs).toBe(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(w.runs).toBe(3);
    await jest.advanceTimersByTimeAsync(5000);
    expect(w.runs).toBe(3);
  });

  it('spends one connection attempt per round while the database is away, oldest first', async () => {
    const first = write('first', [refused]);
    const second = write('second');
    retries.add(first);
    retries.add(second);
    await jest.advanceTimersByTimeAsync(500);
    expect([first.runs, second.runs]).toEqual([1, 0]);
    await jest.advanceTimersByTimeAsync(500);
    expect([first.runs, second.runs]).toEqual([2, 1]);
  });

  it('drops a write that fails for another reason than the connection', async () => {
    const w = write('a', [Object.assign(new Error('invalid input'), { code: '22P02' })]);
    retries.add(w);
    await jest.advanceTimersByTimeAsync(5000);
    expect(w.runs).toBe(1);
  });

  it('keeps only the newest write of a claim', async () => {
    const older = write('claim');
    const newer = write('claim');
    retries.add(older);
    retries.add(newer);
    await jest.advanceTimersByTimeAsync(500);
    expect([older.runs, newer.runs]).toEqual([0, 1]);
  });

  it('keeps a newer write of a claim that comes while the older one runs', async () => {
    const gate = new Gate();
    const older = { ...write('claim'), run: () => gate.pass() };
    const newer = write('claim');
    retries.add(older);
    await jest.advanceTimersByTimeAsync(500);
    await gate.entered;
    retries.add(newer);
    gate.release();
    await jest.advanceTimersByTimeAsync(500);
    expect(newer.runs).toBe(1);
  });

  it('runs one round at a time: a write added during a slow round waits for it', async () => {
    const gate = new Gate();
    let runs = 0;
    const slow: RetriedWrite = { id: 'slow', label: 'slow', run: () => (runs++, gate.pass()) };
    const later = write('later');
    retries.add(slow);
    await jest.advanceTimersByTimeAsync(500);
    await gate.entered;
    retries.add(later);
    await jest.advanceTimersByTimeAsync(2000);
    expect([runs, later.runs]).toEqual([1, 0]);
    gate.release();
    await jest.advanceTimersByTimeAsync(500);
    expect([runs, later.runs]).toEqual([1, 1]);
  });

  it('leaves no timer behind once every write is through', async () => {
    retries.add(write('a', [refused]));
    await jest.advanceTimersByTimeAsync(1000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps at most 1,000 writes: past that it drops the oldest', async () => {
    const writes = Array.from({ length: 1001 }, (_, i) => write(`w${i}`));
    for (const w of writes) retries.add(w);
    await jest.advanceTimersByTimeAsync(5000);
    expect(writes[0].runs).toBe(0);
    expect(writes.slice(1).filter((w) => w.runs !== 1)).toEqual([]);
  });

  it('gives up after five minutes', async () => {
    const w = write('a', Array(10_000).fill(refused));
    retries.add(w);
    await jest.advanceTimersByTimeAsync(5 * 60_000);
    const runs = w.runs;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(w.runs).toBe(runs);
  });

  it('stops at close', async () => {
    const w = write('a');
    retries.add(w);
    retries.close();
    await jest.advanceTimersByTimeAsync(5000);
    expect(w.runs).toBe(0);
  });

  it('takes no write after close, and says nothing at close when nothing waits', async () => {
    const logs = captureLogs();
    try {
      retries.close();
      const w = write('a');
      retries.add(w);
      await jest.advanceTimersByTimeAsync(5000);
      expect(w.runs).toBe(0);
      expect(logs.lines).toEqual([]);
    } finally {
      logs.stop();
    }
  });
});

describe('isConnectionError and mayHaveRun', () => {
  it.each([
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }, true, false],
    ['the server starting up (57P03)', { code: '57P03' }, true, false],
    ['too many connections (53300)', { code: '53300' }, true, false],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect'), true, false],
    [
      'a broken client',
      new Error('Client has encountered a connection error and is not queryable'),
      true,
      false,
    ],
    ['ENOTFOUND', { code: 'ENOTFOUND' }, true, false],
    ['EHOSTUNREACH', { code: 'EHOSTUNREACH' }, true, false],
    ['ENETUNREACH', { code: 'ENETUNREACH' }, true, false],
    ['EAI_AGAIN', { code: 'EAI_AGAIN' }, true, false],
    ['ECONNRESET', { code: 'ECONNRESET' }, true, true],
    ['EPIPE', { code: 'EPIPE' }, true, true],
    ['ETIMEDOUT', { code: 'ETIMEDOUT' }, true, true],
    ['an administrator shutdown (57P01)', { code: '57P01' }, true, true],
    ['a connection that ended', new Error('Connection terminated unexpectedly'), true, true],
    ['a unique violation (23505)', { code: '23505' }, false, false],
    ['a plain error', new Error('boom'), false, false],
    ['not an object', 'ECONNREFUSED', false, false],
    ['null', null, false, false],
  ])('%s', (_, error, connection, ran) => {
    expect([isConnectionError(error), mayHaveRun(error)]).toEqual([connection, ran]);
  });
});
