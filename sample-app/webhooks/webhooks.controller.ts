import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Idempotent } from '../../lib/index.js';
import { TenantId } from '../auth/tenant-id.decorator.js';
import { MONEY_ROUTES_TRANSACTIONAL } from '../faults/transactional-mode.js';
import { ValidBody } from '../http/valid-body.decorator.js';
import {
  validateWebhookEvent,
  webhookEventId,
  type WebhookEvent,
} from './webhook-event.validator.js';
import { WebhooksService } from './webhooks.service.js';

@Controller('webhooks')
@ApiBearerAuth()
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** `200`. Deduplicated by the event's `id` (per tenant), not by a header. */
  @Post('events')
  @HttpCode(HttpStatus.OK)
  @Idempotent({ transactional: MONEY_ROUTES_TRANSACTIONAL, key: webhookEventId })
  receive(
    @TenantId() tenantId: string,
    @ValidBody(validateWebhookEvent) event: WebhookEvent,
  ): Promise<{ received: true; event_id: string }> {
    return this.webhooks.receive(tenantId, event);
  }
}
