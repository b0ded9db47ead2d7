import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IdempotencyHealthIndicator } from '../../lib/terminus/index.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';

@Module({
  // Terminus's own failure log is off: HealthService logs one line with the reason.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthService, IdempotencyHealthIndicator],
})
export class HealthModule {}
