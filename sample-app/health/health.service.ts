import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProblemException } from '../http/problem.exception.js';

/** Readiness: the app listens only after the migrations ran, so "database reachable" is enough. */
@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');

  constructor(private readonly dataSource: DataSource) {}

  /** @throws ProblemException 503 `database_unavailable` */
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      this.logger.warn(`Health check failed: ${(error as Error).message}`);
      throw ProblemException.databaseUnavailable();
    }
    return { status: 'ok' };
  }
}
