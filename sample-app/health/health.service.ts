import { HttpException, Injectable, Logger } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { IdempotencyHealthIndicator } from '../../lib/terminus/index.js';
import { ProblemException } from '../http/problem.exception.js';

/**
 * Readiness, through terminus and the library's indicator: the database reachable and the
 * `idempotency_keys` table there. The app listens only after its migrations ran, so that is
 * "reachable and migrated". The contract's bodies stay as they were: terminus's result becomes
 * `{"status":"ok"}`, or the `503` problem.
 */
@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly idempotency: IdempotencyHealthIndicator,
  ) {}

  /** @throws ProblemException 503 `database_unavailable` */
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.health.check([() => this.idempotency.isHealthy('database')]);
    } catch (error) {
      const reason = error instanceof HttpException ? JSON.stringify(error.getResponse()) : error;
      this.logger.warn(`Health check failed: ${String(reason)}`);
      throw ProblemException.databaseUnavailable();
    }
    return { status: 'ok' };
  }
}
