import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { defer, lastValueFrom, map, mergeAll, of, type Observable } from 'rxjs';
import { IdempotencyProtocol, tenantScope } from '../core/idempotency-protocol.js';
import type { ClaimedOperation } from '../core/claimed-operation.js';
import type { OperationRequest } from '../core/operation-request.interface.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS, SAFE_METHODS } from '../idempotency-internal.constants.js';
import { fingerprintRequest } from '../key/fingerprint-request.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import type { HttpExchange } from './http-exchange.interface.js';
import { HttpExchanges } from './http-exchanges.js';
import type { IdempotentRoute } from './idempotent-route.js';
import { IdempotentRoutes } from './idempotent-routes.js';

/**
 * Registered globally by `IdempotencyModule`; acts only on routes marked `@Idempotent()`.
 * Translates a request into the protocol's terms, then replays, or runs the handler and
 * settles the key with what went out.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
    private readonly protocol: IdempotencyProtocol,
    private readonly routes: IdempotentRoutes,
    private readonly exchanges: HttpExchanges,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const route = this.routes.of(context.getClass(), context.getHandler());
    if (route === undefined) return next.handle(); // the route did not opt in
    const exchange = this.exchanges.of(context);
    if (SAFE_METHODS.has(exchange.method)) return next.handle();

    // One async step decides what to subscribe to: the handler, a replay, or the transaction.
    return defer(async () => {
      const request = await this.operationRequest(context, route, exchange);
      if (request === undefined) return next.handle(); // no key on an optional route
      return route.transactional
        ? this.runInTransaction(next, request, route, exchange)
        : this.run(next, request, exchange);
    }).pipe(mergeAll());
  }

  private async operationRequest(
    context: ExecutionContext,
    route: IdempotentRoute,
    exchange: HttpExchange,
  ): Promise<OperationRequest | undefined> {
    const key = route.key
      ? this.protocol.parseKey(route.key(context), route.required, 'value')
      : this.protocol.parseKey(exchange.header(this.options.headerKey), route.required, 'header');
    if (key === undefined) return undefined;
    const tenant = this.options.tenant ? await this.options.tenant(context) : undefined;
    const routeName = `${exchange.method} ${exchange.routePattern}`;
    const scope = route.scope ?? routeName;
    return {
      scope: tenantScope(tenant, scope),
      key,
      fingerprint: fingerprintRequest(exchange),
      ttlSeconds: route.ttlSeconds,
      origin: { scope, tenant, route: routeName },
    };
  }

  /** Default mode: the key is settled with the response as it is sent, whatever sent it. */
  private async run(
    next: CallHandler,
    request: OperationRequest,
    exchange: HttpExchange,
  ): Promise<Observable<unknown>> {
    const decision = await this.protocol.begin(request);
    if (decision.replay) return of(exchange.replay(decision.replay, this.options.replayHeaderName));
    const { operation } = decision;
    exchange.capture(this.options.maxResponseBytes, (sent) => operation.settle(sent));
    return next.handle();
  }

  /**
   * Transactional mode: the handler runs inside the transaction that claims the key and
   * completes it with the response the handler's value will produce. What actually goes out
   * (an error response after a rollback, or a response a filter changed) settles the key after.
   */
  private runInTransaction(
    next: CallHandler,
    request: OperationRequest,
    route: IdempotentRoute,
    exchange: HttpExchange,
  ): Observable<unknown> {
    const handle = (operation: ClaimedOperation) => {
      exchange.capture(this.options.maxResponseBytes, (sent) => operation.settle(sent));
      return lastValueFrom(next.handle(), { defaultValue: undefined });
    };
    return defer(() =>
      this.protocol.runInTransaction(request, route.waitForInFlightSeconds, handle, (value) =>
        exchange.expectedResponse(value),
      ),
    ).pipe(
      map((result) =>
        result.replay
          ? exchange.replay(result.replay, this.options.replayHeaderName)
          : result.value,
      ),
    );
  }
}
