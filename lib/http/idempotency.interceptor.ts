import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { defer, lastValueFrom, mergeMap, of, type Observable } from 'rxjs';
import { IdempotencyProtocol, tenantScope, type Decision } from '../core/idempotency-protocol.js';
import type { ClaimedOperation } from '../core/claimed-operation.js';
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

    return defer(() => this.decide(context, route, exchange)).pipe(
      mergeMap((decision) => {
        if (decision === undefined) return next.handle(); // no key on an optional route
        if (decision.replay) {
          return of(exchange.replay(decision.replay, this.options.replayHeaderName));
        }
        return route.transactional
          ? this.runInTransaction(next, decision.operation, exchange)
          : this.run(next, decision.operation, exchange);
      }),
    );
  }

  private async decide(
    context: ExecutionContext,
    route: IdempotentRoute,
    exchange: HttpExchange,
  ): Promise<Decision | undefined> {
    const key = route.key
      ? this.protocol.parseKey(route.key(context), route.required, 'value')
      : this.protocol.parseKey(exchange.header(this.options.headerKey), route.required, 'header');
    if (key === undefined) return undefined;
    const tenant = await this.options.tenant?.(context);
    return this.protocol.begin({
      scope: tenantScope(tenant, route.scope ?? `${exchange.method} ${exchange.routePattern}`),
      key,
      fingerprint: fingerprintRequest(exchange),
      ttlSeconds: route.ttlSeconds,
    });
  }

  /** Default mode: the key is settled with the response as it is sent, whatever sent it. */
  private run(
    next: CallHandler,
    operation: ClaimedOperation,
    exchange: HttpExchange,
  ): Observable<unknown> {
    exchange.capture(this.options.maxResponseBytes, (sent) => operation.settle(sent));
    return next.handle();
  }

  /**
   * Transactional mode: the key is completed inside the handler's transaction, with the
   * response the handler's value will produce. If the handler throws, its writes roll back and
   * the error response settles the key as in the default mode.
   */
  private runInTransaction(
    next: CallHandler,
    operation: ClaimedOperation,
    exchange: HttpExchange,
  ): Observable<unknown> {
    exchange.capture(this.options.maxResponseBytes, (sent) => operation.settle(sent));
    return defer(() =>
      operation.runInTransaction(
        () => lastValueFrom(next.handle(), { defaultValue: undefined }),
        (value) => exchange.expectedResponse(value),
      ),
    );
  }
}
