import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { documentIdempotency } from '../../lib/swagger/index.js';

/** Where the Swagger UI is served; its OpenAPI document is at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'docs';

/**
 * Serves the Swagger UI at `/docs` and the document at `/docs-json`, with the idempotent routes
 * documented by the library. They are served by the HTTP adapter, not by a controller, so the
 * bearer guard does not ask for a token. The document is built on the first request.
 */
export function setupDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('nestjs-idempotency sample app')
    .setDescription(
      'Customers, a balance ledger and a webhook receiver. Any bearer token works and names ' +
        'your tenant. Retry a write with the same `Idempotency-Key` to get its first answer again.',
    )
    .addBearerAuth()
    .build();
  SwaggerModule.setup(
    DOCS_PATH,
    app,
    () => documentIdempotency(app, () => SwaggerModule.createDocument(app, config)),
    { raw: ['json'] },
  );
}
