import type { ServerResponse } from 'node:http';
import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, defer, lastValueFrom, mergeMap, of, throwError, type Observable } from 'rxjs';
import { claimKey, settleClaim, type KeyDecision } from './claim-key.js';
import { IdempotencyException } from './errors/idempotency.exception.js';
import {
  expectedResponse,
  type HttpRequest,
  recordResponse,
  replayResponse,
  requestUrl,
  routePattern,
  setHeaders,
} from './http/express-response.js';
import {
  PROBLEM_CONTENT_TYPE,
  RESOLVED_IDEMPOTENCY_OPTIONS,
  SAFE_METHODS,
} from './idempotency.constants.js';
import type { IdempotentOptions } from './idempotency-module-options.interface.js';
import { Idempotent } from './idempotent.decorator.js';
import { fingerprintRequest } from './key/fingerprint-request.js';
import { parseDuration } from './key/parse-duration.js';
import { parseIdempotencyKey } from './key/parse-idempotency-key.js';
import type { ResolvedIdempotencyOptions } from './resolved-idempotency-options.interface.js';
import { IdempotencyStore, type Claim, type StoredResponse } from './store/idempotency-store.js';
import { TransactionRunner } from './transaction/transaction-runner.js';

/**
 * Registered globally by `IdempotencyModule`; acts only on routes marked `@Idempotent()`.
 * Claims the key, then runs the handler and stores its response, or replays the stored one.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
    private readonly store: IdempotencyStore,
    private readonly transactions: TransactionRunner,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const [onClass, onHandler] = this.reflector.getAll(Idempotent, [
      context.getClass(),
      context.getHandler(),
    ]);
    if (onClass === undefined && onHandler === undefined) return next.handle(); // route did not opt in
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (SAFE_METHODS.has(request.method)) return next.handle();
    const response = context.switchToHttp().getResponse<ServerResponse>();
    const route: IdempotentOptions = { ...onClass, ...onHandler }; // the handler's options win

    return defer(() => this.decide(context, route, request)).pipe(
      mergeMap((decision) => {
        if (decision === undefined) return next.handle(); // no key on an optional route
        if (decision.replay)
          return of(replayResponse(response, decision.replay, this.options.replayHeaderName));
        return route.transactional
          ? this.runInTransaction(next, decision.claim, request, response)
          : this.run(next, decision.claim, response);
      }),
      catchError((error: unknown) => {
        // Nest's exception filter keeps a Content-Type that is already set.
        if (error instanceof IdempotencyException) {
          setHeaders(response, { 'Content-Type': PROBLEM_CONTENT_TYPE, ...error.headers });
        }
        return throwError(() => error);
      }),
    );
  }

  private async decide(
    context: ExecutionContext,
    route: IdempotentOptions,
    request: HttpRequest,
  ): Promise<KeyDecision | undefined> {
    const rawKey = route.key ? route.key(context) : request.headers[this.options.headerKey];
    if (rawKey === undefined) {
      if (route.required ?? this.options.required)
        throw IdempotencyException.keyMissing(this.options.headerName);
      return undefined;
    }
    const key = parseIdempotencyKey(String(rawKey), this.options.maxKeyLength);
    if (key === undefined) throw IdempotencyException.keyInvalid(this.options.maxKeyLength);
    const tenant = await this.options.tenant?.(context);
    const routeScope = route.scope ?? `${request.method} ${routePattern(request)}`;
    return await claimKey(
      this.store,
      {
        // encodeURIComponent leaves no "|" in the tenant, so the two parts cannot run together.
        scope: `${encodeURIComponent(tenant ?? '')}|${routeScope}`,
        key,
        fingerprint: fingerprintRequest({
          method: request.method,
          url: requestUrl(request),
          body: request.body,
        }),
        ttlSeconds: route.ttl === undefined ? this.options.ttlSeconds : parseDuration(route.ttl)!,
        lockTimeoutSeconds: this.options.lockTimeoutSeconds,
      },
      this.options.mismatchStatus,
    );
  }

  /** Default mode: the response is stored (or the key released) as it is sent, whatever sent it. */
  private run(next: CallHandler, claim: Claim, response: ServerResponse): Observable<unknown> {
    recordResponse(response, this.options.maxResponseBytes, (recorded) =>
      settleClaim(this.store, claim, this.shouldStore(recorded) ? recorded : undefined),
    );
    return next.handle();
  }

  /**
   * Transactional mode: the key is completed inside the handler's transaction, with the response
   * the handler's value will produce, so both commit or neither does. If the handler throws, its
   * writes roll back and the error response is settled as in the default mode.
   */
  private runInTransaction(
    next: CallHandler,
    claim: Claim,
    request: HttpRequest,
    response: ServerResponse,
  ): Observable<unknown> {
    let committed: StoredResponse | undefined;
    recordResponse(response, this.options.maxResponseBytes, async (recorded) => {
      if (committed === undefined) {
        return settleClaim(this.store, claim, this.shouldStore(recorded) ? recorded : undefined);
      }
      // An outer interceptor or a filter changed what went out: store what the client got.
      if (!sameResponse(committed, recorded)) await settleClaim(this.store, claim, recorded);
    });
    return defer(async () => {
      let expected: StoredResponse | undefined;
      const value = await this.transactions.run(async (transaction) => {
        const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
        expected = expectedResponse(response, request, result);
        if (!this.shouldStore(expected)) {
          expected = undefined;
        } else if (!(await this.store.complete(claim, expected, transaction))) {
          // Our claim was taken over: roll the handler's writes back rather than commit them twice.
          throw IdempotencyException.keyInUse(1);
        }
        return result;
      });
      committed = expected;
      return value;
    });
  }

  private shouldStore(response: StoredResponse): boolean {
    return this.options.shouldStore({ status: response.status });
  }
}

function sameResponse(a: StoredResponse, b: StoredResponse): boolean {
  const sameBody = a.body === null || b.body === null ? a.body === b.body : a.body.equals(b.body);
  const names = new Set([...Object.keys(a.headers), ...Object.keys(b.headers)]);
  return (
    a.status === b.status &&
    sameBody &&
    [...names].every((name) => a.headers[name] === b.headers[name])
  );
}
