import type { INestApplicationContext, Type } from '@nestjs/common';
import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import { IdempotencyConfigurationError } from '../errors/idempotency-configuration.error.js';
import type { IdempotentRoute } from '../http/idempotent-route.js';
import { IdempotentRoutes } from '../http/idempotent-routes.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS, SAFE_METHODS } from '../idempotency-internal.constants.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import {
  addProblemSchema,
  documentIdempotentOperation,
  type DocumentedRoute,
} from './idempotent-operation.js';

// @nestjs/swagger's metadata key of @ApiExtension() (not exported by every version it supports):
// its explorer spreads what it holds into the operation of each path the handler is served on.
const API_EXTENSION = 'swagger/apiExtension';
// A temporary mark on each idempotent handler: the index of its entry in `handlers` below.
const MARK = 'x-nestjs-idempotency-handler';

type Handler = object;
type Controllers = Array<{ controller: Type<unknown>; route: IdempotentRoute }>;

/**
 * Documents every `@Idempotent()` route of the OpenAPI document that `createDocument` builds:
 * the key header (required or not, its syntax), the `Idempotent-Replay` header of the route's
 * responses, and the 400, 409 (or `mismatchStatus`), 409 and 503 problems it can answer with,
 * each `code` an example of the `IdempotencyProblem` schema. Other routes are left as they are.
 * From `nestjs-idempotency/swagger`, so apps without `@nestjs/swagger` never load it.
 *
 * It marks the idempotent handlers while `createDocument` runs, so that swagger itself places
 * them in the document (global prefix, versions, several paths per handler), then takes the
 * marks off: call `SwaggerModule.createDocument()` inside it.
 * @param app the Nest application, with `IdempotencyModule` imported
 * @throws IdempotencyConfigurationError when the app does not import `IdempotencyModule`
 * @example
 * const config = new DocumentBuilder().setTitle('Payments').build();
 * SwaggerModule.setup('docs', app, () =>
 *   documentIdempotency(app, () => SwaggerModule.createDocument(app, config)),
 * );
 */
export function documentIdempotency<T extends OpenAPIObject>(
  app: INestApplicationContext,
  createDocument: () => T,
): T {
  const { options, routes } = idempotencyOf(app);
  const handlers = new Map<Handler, Controllers>();
  for (const { controller, handler, route } of routes.list()) {
    handlers.set(handler, [...(handlers.get(handler) ?? []), { controller, route }]);
  }
  const marked = [...handlers.keys()];
  const saved = marked.map((handler) => Reflect.getOwnMetadata(API_EXTENSION, handler));
  marked.forEach((handler, i) =>
    Reflect.defineMetadata(API_EXTENSION, { ...saved[i], [MARK]: i }, handler),
  );
  let document: T;
  try {
    document = createDocument();
  } finally {
    marked.forEach((handler, i) =>
      saved[i] === undefined
        ? Reflect.deleteMetadata(API_EXTENSION, handler)
        : Reflect.defineMetadata(API_EXTENSION, saved[i], handler),
    );
  }

  let documented = false;
  for (const pathItem of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(pathItem) as [string, unknown][]) {
      if (!isMarked(operation)) continue;
      const index = operation[MARK]!;
      delete operation[MARK];
      if (SAFE_METHODS.has(method.toUpperCase())) continue; // never intercepted
      const route = routeOf(handlers.get(marked[index])!, operation);
      documentIdempotentOperation(operation, documentedRoute(route, options));
      documented = true;
    }
  }
  if (documented) addProblemSchema((document.components ??= {}));
  return document;
}

function idempotencyOf(app: INestApplicationContext) {
  try {
    return {
      options: app.get<ResolvedIdempotencyOptions>(RESOLVED_IDEMPOTENCY_OPTIONS, { strict: false }),
      routes: app.get(IdempotentRoutes, { strict: false }),
    };
  } catch (error) {
    throw new IdempotencyConfigurationError(
      'documentIdempotency() needs an app that imports IdempotencyModule.',
      { cause: error },
    );
  }
}

function isMarked(operation: unknown): operation is OperationObject & { [MARK]?: number } {
  return typeof operation === 'object' && operation !== null && MARK in operation;
}

/**
 * The route of an operation. A handler inherited by several controllers carries one mark for
 * all of them: its controller is the one whose name begins the operation id (swagger's default
 * ids are `Controller_method`), else the first.
 */
function routeOf(controllers: Controllers, operation: OperationObject): IdempotentRoute {
  const named = controllers.find(({ controller }) =>
    operation.operationId?.startsWith(`${controller.name}_`),
  );
  return (named ?? controllers[0]).route;
}

function documentedRoute(
  route: IdempotentRoute,
  options: ResolvedIdempotencyOptions,
): DocumentedRoute {
  return {
    headerName: route.key === undefined ? options.headerName : undefined,
    missingHeaderName: options.headerName,
    required: route.required,
    maxKeyLength: options.maxKeyLength,
    replayHeaderName: options.replayHeaderName,
    mismatchStatus: options.mismatchStatus,
  };
}
