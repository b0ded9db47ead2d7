import { Injectable, type ArgumentsHost, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IdempotencyConfigurationError } from '../errors/idempotency-configuration.error.js';
import { ExpressExchange } from './express-exchange.js';
import type { HttpExchange } from './http-exchange.interface.js';

/** HTTP adapters the library can capture and replay responses on. */
const SUPPORTED_ADAPTERS = ['express'];

/** Gives the `HttpExchange` of a request, for the app's HTTP adapter. */
@Injectable()
export class HttpExchanges implements OnApplicationBootstrap {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** @throws IdempotencyConfigurationError when the app runs on an adapter the library cannot serve */
  onApplicationBootstrap(): void {
    const type = this.adapterHost.httpAdapter?.getType();
    if (type !== undefined && !SUPPORTED_ADAPTERS.includes(type)) {
      throw new IdempotencyConfigurationError(
        `IdempotencyModule supports the HTTP adapters ${SUPPORTED_ADAPTERS.join(', ')}; this app runs on "${type}".`,
      );
    }
  }

  of(host: ArgumentsHost): HttpExchange {
    const http = host.switchToHttp();
    return new ExpressExchange(http.getRequest(), http.getResponse());
  }
}
