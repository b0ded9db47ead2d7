import { Injectable, type ArgumentsHost, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IdempotencyConfigurationError } from '../errors/idempotency-configuration.error.js';
import { ExpressExchange } from './express-exchange.js';
import { FastifyCaptures, type FastifyHooks } from './fastify-captures.js';
import { FastifyExchange } from './fastify-exchange.js';
import type { HttpExchange } from './http-exchange.interface.js';
import { sendReplaysDirectly } from './send-replays-directly.js';

/** HTTP adapters the library can capture and replay responses on, by `getType()`. */
const SUPPORTED_ADAPTERS = ['express', 'fastify'];

/**
 * Gives the `HttpExchange` of a request, for the HTTP adapter the app runs on: known when the
 * app starts, never configured.
 */
@Injectable()
export class HttpExchanges implements OnApplicationBootstrap {
  /** Set when the app runs on Fastify. */
  private fastify?: FastifyCaptures;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * On Fastify, adds the hook that captures responses, before `app.listen()` starts Fastify;
   * on Express, has the adapter send replays directly.
   * @throws IdempotencyConfigurationError when the app runs on an adapter the library cannot serve
   */
  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    const type = adapter?.getType();
    if (type !== undefined && !SUPPORTED_ADAPTERS.includes(type)) {
      throw new IdempotencyConfigurationError(
        `IdempotencyModule supports the HTTP adapters ${SUPPORTED_ADAPTERS.join(', ')}; this app runs on "${type}".`,
      );
    }
    if (type === 'fastify') {
      this.fastify = new FastifyCaptures();
      this.fastify.install(adapter.getInstance<FastifyHooks>());
    } else if (type === 'express') {
      sendReplaysDirectly(adapter);
    }
  }

  of(host: ArgumentsHost): HttpExchange {
    const http = host.switchToHttp();
    return this.fastify
      ? new FastifyExchange(http.getRequest(), http.getResponse(), this.fastify)
      : new ExpressExchange(http.getRequest(), http.getResponse());
  }
}
