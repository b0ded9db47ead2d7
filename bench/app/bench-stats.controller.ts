import { Controller, Get, Post } from '@nestjs/common';
import { statementCounts } from '../support/query-counter.js';
import { handledRequests } from './handled-requests.js';

/** What the runner reads between rounds: requests served, CPU time, memory, statements sent. */
@Controller('_bench')
export class BenchStatsController {
  @Get('stats')
  stats() {
    return {
      handled: handledRequests(),
      cpu: process.cpuUsage(),
      memory: process.memoryUsage(),
      statements: statementCounts(),
    };
  }

  /** Collects garbage (the app runs with --expose-gc), so heap figures compare like with like. */
  @Post('gc')
  gc() {
    (globalThis as { gc?: () => void }).gc?.();
    return { memory: process.memoryUsage() };
  }
}
