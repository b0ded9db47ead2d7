import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { firstValueFrom } from 'rxjs';
import { IdempotencyException } from '../../lib/index.js';
import { IdempotencyExceptionFilter } from '../../lib/http/idempotency-exception.filter.js';

// Over HTTP the filter sends the problem itself (problem-responses.e2e-spec.ts); elsewhere, as
// with IdempotencyService.run() in a message handler, the error goes back to its caller.
describe('IdempotencyExceptionFilter outside HTTP', () => {
  it.each(['rpc', 'ws'])('hands the exception back to a %s context, untouched', async (type) => {
    const host = new ExecutionContextHost([{}, {}]);
    host.setType(type);
    // Reaching for the HTTP exchanges here would throw: there are none.
    const filter = new IdempotencyExceptionFilter(undefined as never);
    const exception = IdempotencyException.keyInUse(1);
    const result = filter.catch(exception, host);
    expect(result).toBeDefined();
    await expect(firstValueFrom(result!)).rejects.toBe(exception);
  });
});
