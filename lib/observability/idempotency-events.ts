import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from '../idempotency-internal.constants.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import type { IdempotencyEvent, IdempotencyOutcome } from './idempotency-event.interface.js';
import { OpenTelemetryBridge } from './open-telemetry-bridge.js';

/**
 * Where every event goes: to OpenTelemetry when its API is installed, to the debug log, and to
 * the `onEvent` option. Never throws: an event cannot change a request's answer.
 */
@Injectable()
export class IdempotencyEvents implements OnModuleInit {
  private readonly logger = new Logger('Idempotency');
  private openTelemetry?: OpenTelemetryBridge;
  /** Outcomes on which `onEvent` failed: logged once each, so a broken listener cannot flood. */
  private readonly listenerFailures = new Set<IdempotencyOutcome>();

  constructor(
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.openTelemetry = await OpenTelemetryBridge.load();
  }

  emit(event: IdempotencyEvent): void {
    this.openTelemetry?.record(event);
    if (Logger.isLevelEnabled('debug')) this.logger.debug(describeEvent(event));
    const { onEvent } = this.options;
    if (onEvent === undefined) return;
    try {
      const result: unknown = onEvent(event);
      // Declared sync, but an async listener's rejection would otherwise go unhandled.
      if (result instanceof Promise) result.catch((error) => this.listenerFailed(event, error));
    } catch (error) {
      this.listenerFailed(event, error);
    }
  }

  private listenerFailed(event: IdempotencyEvent, error: unknown): void {
    if (this.listenerFailures.has(event.outcome)) return;
    this.listenerFailures.add(event.outcome);
    const reason = error instanceof Error ? error : new Error(String(error));
    this.logger.error(
      `The onEvent option threw on a "${event.outcome}" event: ${reason.message}. The request went on; further failures on "${event.outcome}" events are not logged.`,
      reason.stack,
    );
  }
}

/** One greppable line: `outcome=replayed scope="POST /orders" ... duration_ms=1.2`. */
function describeEvent(event: IdempotencyEvent): string {
  const { outcome, scope, route, tenant, keyHash, mode, durationMs, ...details } = event;
  const fields = [
    `outcome=${outcome}`,
    `scope=${JSON.stringify(scope)}`,
    route === undefined ? '' : `route=${JSON.stringify(route)}`,
    tenant === undefined ? '' : `tenant=${JSON.stringify(tenant)}`,
    `key_hash=${keyHash}`,
    `mode=${mode}`,
    ...Object.entries(details).map(([name, value]) => `${name}=${value}`),
    `duration_ms=${durationMs.toFixed(1)}`,
  ];
  return fields.filter((field) => field !== '').join(' ');
}
