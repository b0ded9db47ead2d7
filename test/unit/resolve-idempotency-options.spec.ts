import {
  IdempotencyOptionsError,
  InMemoryIdempotencyStore,
  type IdempotencyModuleOptions,
} from '../../lib/index.js';
import { resolveIdempotencyOptions } from '../../lib/module/resolve-idempotency-options.js';

const DEFAULTS = {
  ttlSeconds: 86_400,
  lockTimeoutSeconds: 10,
  waitForInFlightSeconds: 0,
  headerName: 'Idempotency-Key',
  headerKey: 'idempotency-key',
  replayHeaderName: 'Idempotent-Replay',
  maxKeyLength: 128,
  required: false,
  tenant: undefined,
  shouldStore: expect.any(Function),
  mismatchStatus: 409,
  maxResponseBytes: 1_048_576,
  purgeIntervalSeconds: false,
  preparedStatements: true,
  onEvent: undefined,
  store: undefined,
};

describe('resolveIdempotencyOptions', () => {
  it('fills every default', () => {
    expect(resolveIdempotencyOptions({})).toEqual(DEFAULTS);
    expect(resolveIdempotencyOptions()).toEqual(DEFAULTS);
  });

  it('keeps the defaults for options given as explicit undefined', () => {
    const allUndefined: { [K in keyof Required<IdempotencyModuleOptions>]: undefined } = {
      ttl: undefined,
      lockTimeout: undefined,
      waitForInFlight: undefined,
      headerName: undefined,
      replayHeaderName: undefined,
      maxKeyLength: undefined,
      required: undefined,
      tenant: undefined,
      shouldStore: undefined,
      mismatchStatus: undefined,
      maxResponseBytes: undefined,
      purgeInterval: undefined,
      preparedStatements: undefined,
      onEvent: undefined,
      store: undefined,
    };
    expect(resolveIdempotencyOptions(allUndefined)).toEqual(DEFAULTS);
  });

  it('stores every status below 500 by default', () => {
    const { shouldStore } = resolveIdempotencyOptions({});
    expect(
      [200, 201, 204, 302, 400, 404, 409, 422, 499].every((status) => shouldStore({ status })),
    ).toBe(true);
    expect([500, 502, 503, 504].some((status) => shouldStore({ status }))).toBe(false);
  });

  it.each([
    ['ttl', '24h', 'ttlSeconds', 86_400],
    ['ttl', '500ms', 'ttlSeconds', 0.5],
    ['ttl', 30, 'ttlSeconds', 30],
    ['lockTimeout', '2m', 'lockTimeoutSeconds', 120],
    ['lockTimeout', 1, 'lockTimeoutSeconds', 1],
    ['purgeInterval', '1h', 'purgeIntervalSeconds', 3_600],
    ['purgeInterval', false, 'purgeIntervalSeconds', false],
    ['waitForInFlight', '5s', 'waitForInFlightSeconds', 5],
    ['waitForInFlight', false, 'waitForInFlightSeconds', 0],
  ])('reads the duration %s: %p', (option, value, field, expected) => {
    expect(resolveIdempotencyOptions({ [option]: value })).toMatchObject({ [field]: expected });
  });

  it('takes the other options as given (header names: the request one lower-cased)', () => {
    const tenant = () => 't';
    const shouldStore = () => true;
    const store = new InMemoryIdempotencyStore();
    const onEvent = () => undefined;
    expect(
      resolveIdempotencyOptions({
        headerName: 'X-Request-Key',
        replayHeaderName: 'X-Replayed',
        maxKeyLength: 64,
        required: true,
        tenant,
        shouldStore,
        mismatchStatus: 422,
        maxResponseBytes: 10,
        onEvent,
        store,
      }),
    ).toMatchObject({
      headerName: 'X-Request-Key',
      headerKey: 'x-request-key',
      replayHeaderName: 'X-Replayed',
      maxKeyLength: 64,
      required: true,
      tenant,
      shouldStore,
      mismatchStatus: 422,
      maxResponseBytes: 10,
      onEvent,
      store,
    });
  });

  it.each([
    ['maxKeyLength', 1],
    ['maxKeyLength', 1024],
    ['maxResponseBytes', 1],
    ['mismatchStatus', 409],
    ['mismatchStatus', 422],
  ])('accepts the bounds: %s = %p', (option, value) => {
    expect(
      resolveIdempotencyOptions({ [option]: value } as IdempotencyModuleOptions),
    ).toMatchObject({ [option]: value });
  });

  it.each<[keyof IdempotencyModuleOptions, unknown]>([
    ['ttl', -5],
    ['ttl', 0],
    ['ttl', '-5'],
    ['ttl', 'forever'],
    ['ttl', null],
    ['lockTimeout', 0],
    ['waitForInFlight', '-1s'],
    ['lockTimeout', '30 seconds'],
    ['lockTimeout', true],
    ['headerName', ''],
    ['headerName', 'Idempotency Key'],
    ['headerName', 'Key:'],
    ['headerName', 42],
    ['replayHeaderName', 'Bad Header'],
    ['replayHeaderName', null],
    ['maxKeyLength', 0],
    ['maxKeyLength', 1.5],
    ['maxKeyLength', '128'],
    ['maxKeyLength', 1025],
    ['required', 'yes'],
    ['required', 1],
    ['tenant', 'acme'],
    ['shouldStore', true],
    ['mismatchStatus', 400],
    ['mismatchStatus', '409'],
    ['maxResponseBytes', -1],
    ['maxResponseBytes', Number.POSITIVE_INFINITY],
    ['purgeInterval', 0],
    ['purgeInterval', true],
    ['preparedStatements', 'yes'],
    ['onEvent', 'console.log'],
    ['store', {}],
    ['store', { claim() {} }],
  ])('rejects %s = %p with an IdempotencyOptionsError naming it', (option, value) => {
    let error: unknown;
    try {
      resolveIdempotencyOptions({ [option]: value } as IdempotencyModuleOptions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(IdempotencyOptionsError);
    expect((error as Error).name).toBe('IdempotencyOptionsError');
    expect((error as Error).message).toContain(`Invalid IdempotencyModule option "${option}"`);
    expect((error as Error).message).toMatch(/expected .+, got .+\.$/);
  });

  it('says what was given and what is accepted', () => {
    expect(() => resolveIdempotencyOptions({ ttl: '-5' })).toThrow(
      'Invalid IdempotencyModule option "ttl": expected seconds (> 0) or a duration such as "24h", got "-5".',
    );
  });
});
