import 'reflect-metadata';
import { Reflector } from '@nestjs/core';
import {
  IDEMPOTENT_METADATA,
  Idempotent,
  IdempotencyOptionsError,
  type IdempotentOptions,
} from '../../lib/index.js';

describe('@Idempotent', () => {
  const reflector = new Reflector();

  it('stores its options under IDEMPOTENT_METADATA on a method and on a class, durations in seconds', () => {
    const key = () => 'k';
    @Idempotent({ required: true })
    class Controller {
      @Idempotent({ ttl: '1h', scope: 'payments', key, transactional: true })
      pay() {}
    }
    expect(Reflect.getMetadata(IDEMPOTENT_METADATA, Controller)).toEqual({ required: true });
    expect(Reflect.getMetadata(IDEMPOTENT_METADATA, Controller.prototype.pay)).toEqual({
      ttlSeconds: 3600,
      scope: 'payments',
      key,
      transactional: true,
    });
    expect(reflector.get(Idempotent, Controller.prototype.pay)).toMatchObject({
      scope: 'payments',
    });
  });

  it('stores waitForInFlight in seconds, false as 0', () => {
    class Controller {
      @Idempotent({ transactional: true, waitForInFlight: '2s' })
      waits() {}
      @Idempotent({ transactional: true, waitForInFlight: false })
      refuses() {}
    }
    const seconds = (method: () => void) =>
      reflector.get(Idempotent, method)?.waitForInFlightSeconds;
    expect(seconds(Controller.prototype.waits)).toBe(2);
    expect(seconds(Controller.prototype.refuses)).toBe(0);
  });

  it('stores {} when called without options', () => {
    class Controller {
      @Idempotent()
      create() {}
    }
    expect(reflector.get(Idempotent, Controller.prototype.create)).toEqual({});
  });

  it.each<[keyof IdempotentOptions, unknown]>([
    ['ttl', 0],
    ['ttl', 'soon'],
    ['scope', ''],
    ['scope', 42],
    ['required', 'yes'],
    ['key', 'body.id'],
    ['transactional', 1],
  ])(
    'throws an IdempotencyOptionsError naming %s when the class is declared (%p)',
    (option, value) => {
      const declare = () => {
        class Controller {
          @Idempotent({ [option]: value } as IdempotentOptions)
          create() {}
        }
        return Controller;
      };
      expect(declare).toThrow(IdempotencyOptionsError);
      expect(declare).toThrow(`"@Idempotent ${option}"`);
    },
  );
});
