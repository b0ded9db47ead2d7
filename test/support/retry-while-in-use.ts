import { delay } from './delay.js';
import { describeResponse, type SampleAppResponse } from './sample-app-process.js';

/**
 * Sends `send()` until its answer is not `409 idempotency_key_in_use` (nor a connection error,
 * while a restarted app comes up), waiting `pauseMs` between attempts; returns the last answer.
 */
export async function retryWhileInUse(
  send: () => Promise<SampleAppResponse>,
  { timeoutMs = 30_000, pauseMs = 200 } = {},
): Promise<{ response: SampleAppResponse; inUse: number }> {
  const deadline = Date.now() + timeoutMs;
  let inUse = 0;
  for (;;) {
    const response = await send();
    const busy = response.status === 409 && response.json?.code === 'idempotency_key_in_use';
    if (!busy) return { response, inUse };
    inUse++;
    if (Date.now() > deadline)
      throw new Error(`still in use after ${timeoutMs} ms: ${describeResponse(response)}`);
    await delay(pauseMs);
  }
}
