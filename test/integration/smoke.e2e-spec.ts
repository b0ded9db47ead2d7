import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { basicModule, } from '../fixtures/basic/basic.module.js';
import { calls } from '../fixtures/basic/basic.controller.js';

describe('smoke', () => {
  let db: TestDatabase;
  let app: INestApplication;
  beforeAll(async () => {
    db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({ imports: [basicModule(db.url)] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });
  it('replays', async () => {
    const first = await request(app.getHttpServer()).post('/things').set('Idempotency-Key', 'k1').send({ name: 'a' });
    const second = await request(app.getHttpServer()).post('/things').set('Idempotency-Key', 'k1').send({ name: 'a' });
    console.log(first.status, first.headers, first.text, second.status, second.headers, second.text, calls);
    expect(second.text).toBe(first.text);
  });
});
