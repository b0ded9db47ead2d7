import type { INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppIdempotencyFilter } from '../fixtures/problems/problems.controller.js';
import { ProblemsModule } from '../fixtures/problems/problems.module.js';
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';

/**
 * What `@nestjs/platform-express` 11.2.8 and later 11.x do to an error reply whose content type
 * is not `application/json...`: rewrite it to `application/json`. Applied to this app's adapter
 * (Express or Fastify), so the test sees what a NestJS 11 app would send.
 */
function rewriteErrorContentTypes(app: INestApplication): void {
  const adapter = app.get(HttpAdapterHost).httpAdapter;
  const reply = adapter.reply.bind(adapter);
  adapter.reply = (response: unknown, body: unknown, status?: number) => {
    const type = adapter.getHeader(response, 'Content-Type');
    if (typeof type === 'string' && !type.startsWith('application/json') && (status ?? 0) >= 400) {
      adapter.setHeader(response, 'Content-Type', 'application/json');
    }
    return reply(response, body, status);
  };
}

describe('problem responses', () => {
  describe('the library sends its own problems, whatever the adapter does to error replies', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await createTestApp(ProblemsModule, { configure: rewriteErrorContentTypes });
    });
    afterAll(() => app?.close());

    it('a problem type set before a throw is rewritten there (what used to happen)', async () => {
      const response = await app.http().post('/problems/rejected');
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });

    it('answers a missing key with 400 application/problem+json, exactly', async () => {
      const response = await app.http().post('/problems/required');
      expectProblem(response, 400, 'idempotency_key_missing');
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
    });

    it('answers a key in use with 409, its Retry-After and application/problem+json', async () => {
      const key = newKey();
      const first = app.http().post('/problems/slow?ms=300').set('Idempotency-Key', key);
      const firstDone = first.then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await app.http().post('/problems/slow?ms=300').set('Idempotency-Key', key);
      expectProblem(second, 409, 'idempotency_key_in_use');
      expect(second.headers['retry-after']).toBe('1');
      expect((await firstDone).status).toBe(201);
    });
  });

  describe("an app's own filter sees them when the app asks for it", () => {
    beforeEach(() => calls.reset());

    it('a filter bound with @UseFilters() answers instead of the library', async () => {
      const app = await createTestApp(ProblemsModule);
      try {
        const response = await app.http().post('/filtered-problems');
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ appError: 'idempotency_key_missing' });
        expect(calls.of('app-filter:idempotency_key_missing')).toBe(1);
      } finally {
        await app.close();
      }
    });

    it('a filter given to app.useGlobalFilters() answers instead of the library', async () => {
      const app = await createTestApp(ProblemsModule, {
        configure: (created) => created.useGlobalFilters(new AppIdempotencyFilter()),
      });
      try {
        const response = await app.http().post('/problems/required');
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ appError: 'idempotency_key_missing' });
        expect(calls.of('app-filter:idempotency_key_missing')).toBe(1);
      } finally {
        await app.close();
      }
    });
  });
});
