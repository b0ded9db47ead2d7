import { Module } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  IDEMPOTENCY_MODULE_OPTIONS,
  IdempotencyConfigurationError,
  IdempotencyModule,
  IdempotencyOptionsError,
  IdempotencyService,
  IdempotencyStore,
  InMemoryIdempotencyStore,
  type IdempotencyModuleOptions,
} from '../../lib/index.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from '../../lib/idempotency-internal.constants.js';
import type { ResolvedIdempotencyOptions } from '../../lib/module/resolved-idempotency-options.interface.js';
import '../support/create-test-app.js';

const CONFIG = Symbol('CONFIG');

/** A stand-in for ConfigModule: provides the raw options to forRootAsync's factory. */
function configModule(options: IdempotencyModuleOptions) {
  @Module({ providers: [{ provide: CONFIG, useValue: options }], exports: [CONFIG] })
  class ConfigModule {}
  return ConfigModule;
}

function compileForRoot(options: IdempotencyModuleOptions) {
  return Test.createTestingModule({ imports: [IdempotencyModule.forRoot(options)] }).compile();
}

function compileForRootAsync(options: IdempotencyModuleOptions) {
  return Test.createTestingModule({
    imports: [
      IdempotencyModule.forRootAsync({
        imports: [configModule(options)],
        inject: [CONFIG],
        useFactory: async (config: IdempotencyModuleOptions) => config,
      }),
    ],
  }).compile();
}

// One bad value per option; the store option is valid everywhere else, so no DataSource is needed.
const BAD_VALUES: Array<[keyof IdempotencyModuleOptions, unknown]> = [
  ['ttl', '-5'],
  ['lockTimeout', 0],
  ['headerName', 'Idempotency Key'],
  ['replayHeaderName', ''],
  ['maxKeyLength', 0],
  ['required', 'yes'],
  ['tenant', 'acme'],
  ['shouldStore', 'always'],
  ['mismatchStatus', 400],
  ['maxResponseBytes', 1.5],
  ['purgeInterval', '-1h'],
  ['preparedStatements', 'on'],
  ['store', { claim: () => undefined }],
];

describe('IdempotencyModule start-up', () => {
  describe.each([
    ['forRoot', compileForRoot],
    ['forRootAsync', compileForRootAsync],
  ])('%s', (_, compile) => {
    it.each(BAD_VALUES)(
      'fails compile() with an IdempotencyOptionsError naming %s',
      async (option, value) => {
        const options = {
          store: new InMemoryIdempotencyStore(),
          [option]: value,
        } as IdempotencyModuleOptions;
        const compiled = compile(options);
        await expect(compiled).rejects.toBeInstanceOf(IdempotencyOptionsError);
        await expect(compiled).rejects.toThrow(`Invalid IdempotencyModule option "${option}"`);
      },
    );

    it('keeps the defaults for explicit undefined and reads durations', async () => {
      const store = new InMemoryIdempotencyStore();
      const moduleRef = await compile({
        store,
        ttl: '500ms',
        lockTimeout: 30,
        headerName: undefined,
        required: undefined,
      });
      const resolved = moduleRef.get<ResolvedIdempotencyOptions>(RESOLVED_IDEMPOTENCY_OPTIONS);
      expect(resolved).toMatchObject({
        ttlSeconds: 0.5,
        lockTimeoutSeconds: 30,
        headerName: 'Idempotency-Key',
        headerKey: 'idempotency-key',
        required: false,
        store,
      });
      expect(moduleRef.get(IdempotencyStore)).toBe(store);
      expect(moduleRef.get(IdempotencyService)).toBeInstanceOf(IdempotencyService);
      await moduleRef.close();
    });
  });

  it('exposes the raw options under IDEMPOTENCY_MODULE_OPTIONS', async () => {
    const options = { store: new InMemoryIdempotencyStore(), ttl: '24h' };
    const moduleRef = await compileForRoot(options);
    expect(moduleRef.get(IDEMPOTENCY_MODULE_OPTIONS)).toMatchObject({ ttl: '24h' });
    await moduleRef.close();
  });

  it('without a store and without TypeORM, fails compile() saying what to import', async () => {
    await expect(compileForRoot({})).rejects.toThrow(
      /IdempotencyModule needs a TypeORM DataSource/,
    );
  });

  it('forRoot() without an argument takes every default', async () => {
    const compiled = Test.createTestingModule({ imports: [IdempotencyModule.forRoot()] }).compile();
    // Gets as far as looking for the DataSource, which only the options could have replaced.
    await expect(compiled).rejects.toThrow(/IdempotencyModule needs a TypeORM DataSource/);
  });

  it.each([
    [undefined, false],
    [true, true],
  ])(
    'with isGlobal: %p, IdempotencyService is injectable outside the importing module: %p',
    async (isGlobal, injectable) => {
      class Worker {
        constructor(readonly idempotency: IdempotencyService) {}
      }
      @Module({
        providers: [
          { provide: Worker, useFactory: (s) => new Worker(s), inject: [IdempotencyService] },
        ],
      })
      class WorkerModule {}
      const compiled = Test.createTestingModule({
        imports: [
          // Left out, not passed as undefined: the default is under test.
          IdempotencyModule.forRoot({
            store: new InMemoryIdempotencyStore(),
            ...(isGlobal === undefined ? {} : { isGlobal }),
          }),
          WorkerModule,
        ],
      }).compile();
      if (injectable) {
        const moduleRef = await compiled;
        expect(moduleRef.get(Worker).idempotency).toBeInstanceOf(IdempotencyService);
        await moduleRef.close();
      } else {
        await expect(compiled).rejects.toThrow(/IdempotencyService/);
      }
    },
  );

  it('forRootAsync honours the dataSource name', async () => {
    const compiled = Test.createTestingModule({
      imports: [IdempotencyModule.forRootAsync({ dataSource: 'keys', useFactory: () => ({}) })],
    }).compile();
    await expect(compiled).rejects.toThrow(/the TypeORM DataSource "keys"/);
  });

  describe('on an HTTP adapter', () => {
    /** An adapter of a kind the library has no exchange for. */
    class KoaLikeAdapter extends ExpressAdapter {
      override getType(): string {
        return 'koa';
      }
    }

    async function init(adapter: ExpressAdapter | FastifyAdapter) {
      const moduleRef = await compileForRoot({ store: new InMemoryIdempotencyStore() });
      const app = moduleRef.createNestApplication(adapter, { logger: false });
      try {
        await app.init();
      } finally {
        await app.close();
      }
    }

    it.each([
      ['Express', () => new ExpressAdapter()],
      ['Fastify', () => new FastifyAdapter()],
    ])('starts on %s, which it picks by itself', async (_, adapter) => {
      await expect(init(adapter())).resolves.toBeUndefined();
    });

    it('fails start-up on any other, naming the ones it supports', async () => {
      const failure = init(new KoaLikeAdapter());
      await expect(failure).rejects.toThrow(IdempotencyConfigurationError);
      await expect(failure).rejects.toThrow(
        'IdempotencyModule supports the HTTP adapters express, fastify; this app runs on "koa".',
      );
    });
  });
});
