import { BadRequestException, Body, Controller, Headers, Post } from '@nestjs/common';
import { Idempotent } from 'nestjs-idempotency';
import { LedgerService } from './ledger.service';
import { countRun } from './runs';

@Controller('ledger')
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  /** Writes its row, then fails as `X-Fail` asks (`client`: 400, `server`: 500) or answers 201. */
  @Post()
  @Idempotent({ transactional: true })
  async credit(@Body() body: { ref: string; amount: number }, @Headers('x-fail') fail?: string) {
    countRun('ledger');
    await this.ledger.credit(body.ref, body.amount);
    if (fail === 'client') throw new BadRequestException(`credit ${body.ref} refused`);
    if (fail === 'server') throw new Error(`credit ${body.ref} crashed`);
    return { ref: body.ref, amount: body.amount };
  }
}
