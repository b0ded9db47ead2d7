import fastifyCompress from '@fastify/compress';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import compression from 'compression';
import request from 'supertest';
import { IdempotencyModule, InMemoryIdempotencyStore } from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { TEST_ADAPTER } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { OrdersController, QuantityPipe } from '../fixtures/orders/orders.controller.js';

@Module({
  imports: [IdempotencyModule.forRoot({ store: new InMemoryIdempotencyStore() })],
  controllers: [OrdersController],
  providers: [QuantityPipe],
})
class CompressedModule {}

/** The app as a main.ts makes it: NestFactory, then the adapter's compression, then listen. */
async function startCompressedApp(): Promise<INestApplication> {
  let app: INestApplication;
  if (TEST_ADAPTER === 'fastify') {
    const fastify = await NestFactory.create<NestFastifyApplication>(
      CompressedModule,
      new FastifyAdapter(),
      { logger: false },
    );
    await fastify.register(fastifyCompress);
    app = fastify;
  } else {
    const express = await NestFactory.create<NestExpressApplication>(
      CompressedModule,
      new ExpressAdapter(),
      { logger: false },
    );
    express.use(compression());
    app = express;
  }
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('an answer the app compresses', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startCompressedApp();
  });
  afterAll(() => app?.close());
  beforeEach(() => calls.reset());

  // Large enough for both compressors (1 KiB thresholds).
  const size = 4096;
  const post = (key: string, acceptEncoding: string, path = '/orders/large') =>
    request(app.getHttpServer())
      .post(path)
      .set('Idempotency-Key', key)
      .set('Accept-Encoding', acceptEncoding)
      .send({ size });

  it('is stored as the route produced it, and compressed again for each replay that accepts it', async () => {
    const key = newKey();
    const first = await post(key, 'gzip');
    expect(first.status).toBe(201);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.body.filler).toHaveLength(size);

    const gzipReplay = await post(key, 'gzip');
    expect(gzipReplay.headers['idempotent-replay']).toBe('true');
    expect(gzipReplay.headers['content-encoding']).toBe('gzip');
    expect(gzipReplay.text).toBe(first.text);

    const plainReplay = await post(key, 'identity');
    expect(plainReplay.headers['idempotent-replay']).toBe('true');
    expect(plainReplay.headers['content-encoding']).toBeUndefined();
    expect(plainReplay.headers['content-type']).toBe(first.headers['content-type']);
    expect(plainReplay.text).toBe(first.text);
    expect(calls.of('large')).toBe(1);
  });

  it('is stored as the route streamed it, when it streams (a StreamableFile)', async () => {
    const key = newKey();
    const first = await post(key, 'gzip', '/orders/large-export');
    expect(first.status).toBe(201);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.text).toBe(`#1 ${'x'.repeat(size)}`);

    const plainReplay = await post(key, 'identity', '/orders/large-export');
    expect(plainReplay.headers['idempotent-replay']).toBe('true');
    expect(plainReplay.headers['content-encoding']).toBeUndefined();
    expect(plainReplay.text).toBe(first.text);
    expect(calls.of('large-export')).toBe(1);
  });

  it('replays an answer first sent uncompressed compressed to a client that accepts it', async () => {
    const key = newKey();
    const first = await post(key, 'identity');
    expect(first.headers['content-encoding']).toBeUndefined();
    const replay = await post(key, 'gzip');
    expect(replay.headers['content-encoding']).toBe('gzip');
    expect(replay.text).toBe(first.text);
    expect(calls.of('large')).toBe(1);
  });
});
