import { Inject, Injectable, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from '../idempotency-internal.constants.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import { TransactionBridge } from '../transaction/transaction-bridge.js';
import { Idempotent } from './idempotent.decorator.js';
import type { IdempotentRoute } from './idempotent-route.js';

type Handler = Function; // eslint-disable-line @typescript-eslint/no-unsafe-function-type -- Nest hands handlers over as Function

/**
 * Knows which routes are idempotent and with which final options, resolved once per route
 * (the handler's options over its controller's over the module's), not on every request.
 */
@Injectable()
export class IdempotentRoutes implements OnApplicationBootstrap {
  // Per controller class, then per handler: a handler inherited by two controllers may differ.
  private readonly resolved = new WeakMap<object, Map<Handler, IdempotentRoute | null>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
    private readonly transactions: TransactionBridge,
  ) {}

  /** The route's options, or `undefined` when it did not opt in. */
  of(controller: Type<unknown>, handler: Handler): IdempotentRoute | undefined {
    let routes = this.resolved.get(controller);
    if (routes === undefined) this.resolved.set(controller, (routes = new Map()));
    let route = routes.get(handler);
    if (route === undefined) routes.set(handler, (route = this.resolve(controller, handler)));
    return route ?? undefined;
  }

  /** A transactional route in an app without the transaction plugin fails start-up. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.list().some(({ route }) => route.transactional)) {
      await this.transactions.assertAvailable();
    }
  }

  /** Every handler of the app's controllers that opted in, with its options. */
  list(): Array<{ controller: Type<unknown>; handler: Handler; route: IdempotentRoute }> {
    return this.discovery.getControllers().flatMap(({ metatype, instance }) => {
      if (!metatype || !instance) return [];
      const controller = metatype as Type<unknown>;
      const prototype = Object.getPrototypeOf(instance) as Record<string, Handler>;
      return this.scanner.getAllMethodNames(prototype).flatMap((name) => {
        const handler = prototype[name];
        const route = this.of(controller, handler);
        return route ? [{ controller, handler, route }] : [];
      });
    });
  }

  private resolve(controller: Type<unknown>, handler: Handler): IdempotentRoute | null {
    const [onClass, onHandler] = this.reflector.getAll(Idempotent, [controller, handler]);
    if (onClass === undefined && onHandler === undefined) return null;
    const merged = { ...onClass, ...onHandler };
    return {
      ttlSeconds: merged.ttlSeconds ?? this.options.ttlSeconds,
      scope: merged.scope,
      required: merged.required ?? this.options.required,
      key: merged.key,
      transactional: merged.transactional ?? false,
      waitForInFlightSeconds: merged.waitForInFlightSeconds ?? this.options.waitForInFlightSeconds,
    };
  }
}
