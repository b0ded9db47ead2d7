import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { queryRows } from '../database/query-rows.js';
import { EconomyService } from '../economy/economy.service.js';
import { FaultInjector } from '../faults/fault-injector.service.js';
import type { WebhookEvent } from './webhook-event.validator.js';

/**
 * Applies `balance.credited` events. The idempotency key (the event id) makes a redelivery a
 * replay; the `webhook_events` row, written in the same transaction, is a second line of
 * defence that still holds after the key expired.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly economy: EconomyService,
    private readonly faults: FaultInjector,
  ) {}

  async receive(
    tenantId: string,
    event: WebhookEvent,
  ): Promise<{ received: true; event_id: string }> {
    await this.faults.beforeWrite();
    const firstDelivery = await queryRows(
      this.txHost.tx,
      `INSERT INTO webhook_events (tenant_id, event_id, type, payload) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING event_id`,
      [tenantId, event.id, event.type, JSON.stringify(event)],
    );
    if (firstDelivery.length === 1) {
      await this.economy.changeBalance(tenantId, event.data.user_id, event.data.amount);
      this.faults.afterWrite();
    }
    return { received: true, event_id: event.id };
  }
}
