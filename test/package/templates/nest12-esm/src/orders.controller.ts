import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { setTimeout } from 'node:timers/promises';
import { Idempotent } from 'nestjs-idempotency';
import { countRun, runs } from './runs.js';

@Controller()
export class OrdersController {
  /** `201` with a `Location`; `?waitMs=` keeps the request in flight that long. */
  @Post('orders')
  @Idempotent()
  async create(
    @Body() body: { item: string },
    @Query('waitMs') waitMs: string | undefined,
    @Res({ passthrough: true }) response: ServerResponse,
  ) {
    const id = countRun('orders');
    if (waitMs !== undefined) await setTimeout(Number(waitMs));
    response.setHeader('Location', `/orders/${id}`);
    return { id, item: body.item };
  }

  @Post('payments')
  @Idempotent({ required: true })
  pay(@Body() body: { amount: number }) {
    return { payment: countRun('payments'), amount: body.amount };
  }

  @Post('notes')
  note(@Body() body: { text: string }) {
    return { note: countRun('notes'), text: body.text };
  }

  // Decorated on purpose: GET is never intercepted, even on an @Idempotent route.
  @Get('clock')
  @Idempotent()
  clock() {
    return { tick: countRun('clock') };
  }

  @Get('runs')
  runs() {
    return runs;
  }
}
