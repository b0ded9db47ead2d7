import type { INestApplication } from '@nestjs/common';
import { Controller, Get, Module, VersioningType } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import {
  IdempotencyConfigurationError,
  IdempotencyModule,
  InMemoryIdempotencyStore,
  type IdempotencyModuleOptions,
} from '../../lib/index.js';
import { documentIdempotency } from '../../lib/swagger/index.js';
import { openApiModule } from '../fixtures/openapi/openapi.module.js';
import { PaymentsController, REFUND_REFUSED } from '../fixtures/openapi/payments.controller.js';

/** A part of the document, read as JSON. */
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read any field

const CONFIG = new DocumentBuilder().setTitle('OpenAPI fixture').build();
const PROBLEM_REF = { $ref: '#/components/schemas/IdempotencyProblem' };

async function createApp(options: IdempotencyModuleOptions = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [openApiModule(options)],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** The document as `@nestjs/swagger` alone makes it, and as `documentIdempotency()` does. */
function documents(app: INestApplication): { plain: OpenAPIObject; documented: OpenAPIObject } {
  const plain = SwaggerModule.createDocument(app, CONFIG);
  const documented = documentIdempotency(app, () => SwaggerModule.createDocument(app, CONFIG));
  return { plain, documented };
}

/** For each status of an operation's problem responses: the `code`s of its examples. */
function problemCodes(document: OpenAPIObject, path: string, method: 'post'): object {
  const responses = document.paths[path][method]!.responses as Record<string, Json>;
  const codes: Record<string, string[]> = {};
  for (const [status, response] of Object.entries(responses)) {
    const examples = response.content?.['application/problem+json']?.examples;
    if (examples) {
      codes[status] = Object.keys(examples).filter((name) => name.startsWith('idempotency_'));
      for (const code of codes[status]) {
        expect(examples[code].value).toEqual(
          expect.objectContaining({ code, status: Number(status), type: `about:blank#${code}` }),
        );
      }
    }
  }
  return codes;
}

describe('documentIdempotency() (nestjs-idempotency/swagger), on Express', () => {
  describe('with the default options', () => {
    let app: INestApplication;
    let plain: OpenAPIObject;
    let documented: OpenAPIObject;

    beforeAll(async () => {
      app = await createApp();
      ({ plain, documented } = documents(app));
    });
    afterAll(() => app?.close());

    it('documents the key header of a route that requires it, with its syntax', () => {
      const parameters = documented.paths['/payments'].post!.parameters;
      expect(parameters).toEqual([
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: expect.stringMatching(/^Required\. .*1 to 128 visible ASCII characters/),
          schema: {
            type: 'string',
            pattern:
              '^(?:(?!".*"$)[\\x21-\\x7E]{1,128}|"(?:[\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\["\\\\]){1,128}")$',
          },
        },
      ]);
    });

    it("replaces the app's own description of the key header, whatever its case", () => {
      const headers = (documented.paths['/payments'].post!.parameters as Json[]).filter(
        (parameter) => parameter.in === 'header',
      );
      expect(headers.map((header) => [header.name, header.required])).toEqual([
        ['Idempotency-Key', true],
      ]);
    });

    it('documents it as optional on a route that does not require it', () => {
      const [header] = documented.paths['/payments/{id}/refunds'].post!.parameters!.filter(
        (parameter) => 'in' in parameter && parameter.in === 'header',
      );
      expect(header).toEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
      );
    });

    it("documents the Idempotent-Replay header on the route's own responses", () => {
      const created = documented.paths['/payments'].post!.responses['201'];
      expect(created).toEqual({
        description: '',
        headers: {
          'Idempotent-Replay': {
            description: expect.stringMatching(/^`true` when this is the stored response/),
            schema: { type: 'string', enum: ['true'] },
          },
        },
      });
    });

    it('documents every problem the route can answer, by status, each code an example', () => {
      expect(problemCodes(documented, '/payments', 'post')).toEqual({
        '400': ['idempotency_key_missing', 'idempotency_key_invalid'],
        '409': [
          'idempotency_key_reused',
          'idempotency_key_in_use',
          'idempotency_response_unavailable',
        ],
        '503': ['idempotency_store_unavailable'],
      });
      // An optional key is never missing.
      expect(problemCodes(documented, '/payments/{id}/refunds', 'post')).toEqual({
        '400': ['idempotency_key_invalid'],
        '409': [
          'idempotency_key_reused',
          'idempotency_key_in_use',
          'idempotency_response_unavailable',
        ],
        '503': ['idempotency_store_unavailable'],
      });
    });

    it('gives each problem response the problem+json schema, its codes and Retry-After', () => {
      const responses = documented.paths['/payments'].post!.responses;
      expect(responses['409']).toEqual({
        description: expect.stringContaining('- `idempotency_key_in_use`: '),
        headers: {
          'Retry-After': {
            description: 'Seconds to wait before a retry (`idempotency_key_in_use`).',
            schema: { type: 'integer', minimum: 0 },
          },
        },
        content: {
          'application/problem+json': { schema: PROBLEM_REF, examples: expect.any(Object) },
        },
      });
      expect(
        (responses['409'] as Json).content['application/problem+json'].examples
          .idempotency_key_in_use,
      ).toEqual({
        summary: 'Idempotency key in use',
        value: {
          type: 'about:blank#idempotency_key_in_use',
          title: 'Idempotency key in use',
          status: 409,
          detail: 'A request with this idempotency key is still being processed; retry later.',
          code: 'idempotency_key_in_use',
        },
      });
      expect(documented.components!.schemas!.IdempotencyProblem).toEqual({
        type: 'object',
        description: expect.any(String),
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: {
          type: { type: 'string', example: 'about:blank#idempotency_key_in_use' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: {
            type: 'string',
            enum: [
              'idempotency_key_missing',
              'idempotency_key_invalid',
              'idempotency_key_reused',
              'idempotency_key_in_use',
              'idempotency_store_unavailable',
              'idempotency_response_unavailable',
            ],
          },
        },
      });
    });

    it("merges its 400 into the one the app documents, keeping the app's schema and example", () => {
      const badRequest = documented.paths['/payments/{id}/refunds'].post!.responses['400'] as Json;
      expect(badRequest.description).toMatch(
        /^The refund is refused\.\n\n- `idempotency_key_invalid`: /,
      );
      expect(badRequest.content['application/problem+json']).toEqual({
        schema: { oneOf: [REFUND_REFUSED.content['application/problem+json'].schema, PROBLEM_REF] },
        examples: {
          example: { value: { code: 'refund_refused' } },
          idempotency_key_invalid: expect.any(Object),
        },
      });
      // The app's own 400 is stored and replayed like any 4xx.
      expect(Object.keys(badRequest.headers)).toEqual(['Idempotent-Replay']);
    });

    it("keeps the app's other parameters, even one named like the key header in the query", () => {
      const parameters = documented.paths['/payments/{id}/captures'].post!.parameters as Json[];
      expect(parameters.map((parameter) => [parameter.in, parameter.name])).toEqual([
        ['path', 'id'],
        ['query', 'idempotency-key'],
        ['header', 'X-Request-Id'],
        ['header', 'Idempotency-Key'],
      ]);
    });

    it("gives the app's own 5xx no replay header: a 5xx is never stored", () => {
      const failed = documented.paths['/payments/{id}/captures'].post!.responses['500'];
      expect(failed).toEqual({ description: 'The processor failed.' });
    });

    it("merges its 409 into the app's, with Retry-After next to the replay header", () => {
      const conflict = documented.paths['/payments/{id}/captures'].post!.responses['409'] as Json;
      expect(conflict.description).toMatch(
        /^The payment is already captured\.\n\n- `idempotency_key_reused`: /,
      );
      expect(Object.keys(conflict.headers)).toEqual(['Idempotent-Replay', 'Retry-After']);
      expect(Object.keys(conflict.content['application/problem+json'].examples)).toEqual([
        'idempotency_key_reused',
        'idempotency_key_in_use',
        'idempotency_response_unavailable',
      ]);
    });

    it("merges its 400 into one with the library's own problem schema: one schema, no empty example", () => {
      const badRequest = documented.paths['/payments/{id}/captures'].post!.responses['400'] as Json;
      expect(badRequest.content['application/problem+json']).toEqual({
        schema: PROBLEM_REF,
        examples: { idempotency_key_invalid: expect.any(Object) },
      });
    });

    it('documents no header for a route that takes its key elsewhere (the key option)', () => {
      const receive = documented.paths['/webhooks'].post!;
      expect(receive.parameters).toEqual(plain.paths['/webhooks'].post!.parameters);
      expect(problemCodes(documented, '/webhooks', 'post')).toEqual({
        '400': ['idempotency_key_invalid'],
        '409': expect.any(Array),
        '503': ['idempotency_store_unavailable'],
      });
    });

    it('documents a handler two controllers inherit with the options of each', () => {
      const required = (path: string) =>
        (documented.paths[path].post!.parameters as Json[]).find(
          (parameter) => parameter.name === 'Idempotency-Key',
        ).required;
      expect(required('/transfers/domestic')).toBe(true);
      expect(required('/transfers/international')).toBe(false);
    });

    it('leaves undecorated routes, and GET routes of a decorated class, exactly as they were', () => {
      expect(documented.paths['/payments/notes']).toEqual(plain.paths['/payments/notes']);
      expect(documented.paths['/payments'].get).toEqual(plain.paths['/payments'].get);
      expect(documented.paths['/webhooks'].get).toEqual(plain.paths['/webhooks'].get);
      expect(Object.keys(documented.paths)).toEqual(Object.keys(plain.paths));
    });

    it('takes its marks off the handlers: none in the document, none in the next one', () => {
      expect(JSON.stringify(documented)).not.toContain('x-nestjs-idempotency');
      expect(SwaggerModule.createDocument(app, CONFIG)).toEqual(plain);
    });

    it("keeps a handler's own @ApiExtension, in the document and after it", () => {
      expect(documented.paths['/payments/{id}/refunds'].post).toHaveProperty(
        'x-owner',
        'refunds-team',
      );
      expect(
        SwaggerModule.createDocument(app, CONFIG).paths['/payments/{id}/refunds'].post,
      ).toHaveProperty('x-owner', 'refunds-team');
    });
  });

  describe('with other module options', () => {
    it('uses the header names, key length and mismatch status the module resolved', async () => {
      const app = await createApp({
        headerName: 'X-Request-Key',
        replayHeaderName: 'X-Replayed',
        maxKeyLength: 64,
        mismatchStatus: 422,
        required: true,
      });
      try {
        const { documented } = documents(app);
        const refund = documented.paths['/payments/{id}/refunds'].post!;
        expect(refund.parameters).toEqual([
          expect.objectContaining({ name: 'id', in: 'path' }),
          expect.objectContaining({
            name: 'X-Request-Key',
            required: true,
            schema: { type: 'string', pattern: expect.stringContaining('{1,64}') },
          }),
        ]);
        expect(Object.keys((refund.responses['202'] as Json).headers)).toEqual(['X-Replayed']);
        expect(problemCodes(documented, '/payments/{id}/refunds', 'post')).toEqual({
          '400': ['idempotency_key_missing', 'idempotency_key_invalid'],
          '409': ['idempotency_key_in_use', 'idempotency_response_unavailable'],
          '422': ['idempotency_key_reused'],
          '503': ['idempotency_store_unavailable'],
        });
      } finally {
        await app.close();
      }
    });
  });

  describe('where swagger places a route', () => {
    it('documents every path of a handler: global prefix, two URI versions', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [openApiModule()],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      app.setGlobalPrefix('api');
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: ['1', '2'] });
      await app.init();
      try {
        const { documented } = documents(app);
        for (const path of ['/api/v1/payments', '/api/v2/payments']) {
          expect(problemCodes(documented, path, 'post')).toEqual({
            '400': ['idempotency_key_missing', 'idempotency_key_invalid'],
            '409': expect.any(Array),
            '503': ['idempotency_store_unavailable'],
          });
        }
        expect(documented.paths['/api/v1/payments/notes'].post!.responses['201']).toEqual({
          description: '',
        });
      } finally {
        await app.close();
      }
    });
  });

  describe('served by SwaggerModule.setup()', () => {
    it('serves the documented document, built on the first request', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [openApiModule()],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      SwaggerModule.setup('docs', app, () =>
        documentIdempotency(app, () => SwaggerModule.createDocument(app, CONFIG)),
      );
      await app.init();
      try {
        const json = await request(app.getHttpServer()).get('/docs-json');
        expect(json.status).toBe(200);
        expect(json.body.paths['/payments'].post.parameters[0].name).toBe('Idempotency-Key');
        const ui = await request(app.getHttpServer()).get('/docs');
        expect(ui.status).toBe(200);
        expect(ui.headers['content-type']).toMatch(/^text\/html/);
      } finally {
        await app.close();
      }
    });
  });

  it('adds no problem schema to a document without idempotent routes', async () => {
    @Controller('reports')
    class ReportsController {
      @Get()
      list() {
        return [];
      }
    }
    @Module({
      imports: [IdempotencyModule.forRoot({ store: new InMemoryIdempotencyStore() })],
      controllers: [ReportsController],
    })
    class ReportsModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ReportsModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const { plain, documented } = documents(app);
      expect(documented).toEqual(plain);
      expect(JSON.stringify(documented)).not.toContain('IdempotencyProblem');
    } finally {
      await app.close();
    }
  });

  it('refuses an app without IdempotencyModule, saying so', async () => {
    @Module({ controllers: [PaymentsController] })
    class BareModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BareModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      const create = () =>
        documentIdempotency(app, () => SwaggerModule.createDocument(app, CONFIG));
      expect(create).toThrow(IdempotencyConfigurationError);
      expect(create).toThrow(
        /^documentIdempotency\(\) needs an app that imports IdempotencyModule\.$/,
      );
    } finally {
      await app.close();
    }
  });
});
