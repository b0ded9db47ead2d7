import { Inject, Injectable } from '@nestjs/common';
import { CLS_REQ, ClsService } from 'nestjs-cls';
import type { JsonRequest } from '../http/json-request.interface.js';
import { ProblemException } from '../http/problem.exception.js';
import { FAULTS_ENABLED } from './faults.constants.js';
import { crash, parseSimulation, type Simulation } from './simulation.js';

/**
 * The hooks the idempotent handlers call, so that `X-Simulate` can fail them at a chosen moment.
 * Does nothing unless `SAMPLE_FAULTS=1`. Reads the header of the current request from CLS, so
 * the services' signatures do not carry it.
 */
@Injectable()
export class FaultInjector {
  constructor(
    @Inject(FAULTS_ENABLED) private readonly enabled: boolean,
    private readonly cls: ClsService,
  ) {}

  /**
   * At the start of the handler's work, after the key was claimed and before any write:
   * `error` throws (500), `slow:<ms>` waits, `crash` kills the process.
   * @throws ProblemException `internal_error` for `X-Simulate: error`
   */
  async beforeWrite(): Promise<void> {
    const simulation = this.current();
    if (simulation?.kind === 'crash') crash();
    if (simulation?.kind === 'error') {
      throw ProblemException.internalError('Simulated failure (X-Simulate: error).');
    }
    if (simulation?.kind === 'slow')
      await new Promise((resolve) => setTimeout(resolve, simulation.ms));
  }

  /** Right after the handler's money-moving statement, before commit: `crash-after-write`. */
  afterWrite(): void {
    if (this.current()?.kind === 'crash-after-write') crash();
  }

  private current(): Simulation | undefined {
    if (!this.enabled) return undefined;
    const request = this.cls.get<JsonRequest | undefined>(CLS_REQ);
    return parseSimulation(request?.headers['x-simulate']) ?? undefined;
  }
}
