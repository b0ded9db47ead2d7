import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Idempotent } from '../../lib/index.js';
import { TenantId } from '../auth/tenant-id.decorator.js';
import { MONEY_ROUTES_TRANSACTIONAL } from '../faults/transactional-mode.js';
import { ValidBody } from '../http/valid-body.decorator.js';
import { validateAdjustment, type AdjustmentRequest } from './adjustment.validator.js';
import { EconomyService, type Adjustment } from './economy.service.js';

@Controller('economy')
@ApiBearerAuth()
export class EconomyController {
  constructor(private readonly economy: EconomyService) {}

  /** `201`. Moves money, so an `Idempotency-Key` is required. */
  @Post('adjust')
  @Idempotent({ required: true, transactional: MONEY_ROUTES_TRANSACTIONAL })
  adjust(
    @TenantId() tenantId: string,
    @ValidBody(validateAdjustment) input: AdjustmentRequest,
  ): Promise<Adjustment> {
    return this.economy.adjust(tenantId, input);
  }

  /** `200`; 0 for a user never adjusted. */
  @Get('balances/:user_id')
  balance(
    @TenantId() tenantId: string,
    @Param('user_id') userId: string,
  ): Promise<{ user_id: string; balance: number }> {
    return this.economy.balance(tenantId, userId);
  }
}
