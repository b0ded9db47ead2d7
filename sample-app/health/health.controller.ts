import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/public.decorator.js';
import { HealthService } from './health.service.js';

@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** `200 {"status":"ok"}`, or `503` problem+json while the database cannot be reached. */
  @Get()
  check(): Promise<{ status: 'ok' }> {
    return this.health.check();
  }
}
