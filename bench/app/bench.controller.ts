import { Body, Controller, Post } from '@nestjs/common';
import { Idempotent } from '../../lib/index.js';
import { BenchRowsService } from './bench-rows.service.js';
import { shutdownSignal } from './held-requests.js';

interface RowBody {
  name?: string;
}

/** The same handler work (one INSERT) behind each way of protecting it. */
@Controller()
export class BenchController {
  constructor(private readonly rows: BenchRowsService) {}

  @Post('plain')
  plain(@Body() body: RowBody) {
    return this.rows.insert(body.name ?? 'bench');
  }

  @Post('idempotent')
  @Idempotent()
  idempotent(@Body() body: RowBody) {
    return this.rows.insert(body.name ?? 'bench');
  }

  @Post('idempotent-tx')
  @Idempotent({ transactional: true })
  idempotentTransactional(@Body() body: RowBody) {
    return this.rows.insert(body.name ?? 'bench');
  }

  /** Never finishes before shutdown: its key stays in flight, so every retry gets 409. */
  @Post('held')
  @Idempotent()
  async held() {
    await shutdownSignal;
    return { held: true };
  }

  /** Experiment: the transactional mode with its completion named too (bench/experiments). */
  @Post('exp-tx-named')
  @Idempotent({ transactional: true })
  transactionalNamed(@Body() body: RowBody) {
    return this.rows.insert(body.name ?? 'bench');
  }
}
