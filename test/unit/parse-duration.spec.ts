import { parseDuration } from '../../lib/key/parse-duration.js';

describe('parseDuration', () => {
  it.each([
    [30, 30],
    [0.5, 0.5],
    ['500ms', 0.5],
    ['30s', 30],
    ['15m', 900],
    ['24h', 86_400],
    ['7d', 604_800],
    ['1.5h', 5_400],
    ['1.25s', 1.25],
    [' 10s ', 10],
    ['10 s', 10],
  ])('reads %p as %p seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each([
    [0],
    [-5],
    ['-5s'],
    ['0s'],
    ['10x'],
    ['h'],
    [''],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [null],
    [undefined],
    [true],
    [{}],
  ])('rejects %p', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });
});
