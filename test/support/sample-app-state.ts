import { describeResponse, type SampleApp } from './sample-app-process.js';

/** `total` of `GET /customers` for the tenant. */
export async function customerCount(app: SampleApp, token: string): Promise<number> {
  const response = await app.request('GET', '/customers', { token });
  if (response.status !== 200) throw new Error(`GET /customers: ${describeResponse(response)}`);
  return response.json.total;
}

/** `balance` of `GET /economy/balances/:user_id` for the tenant. */
export async function balanceOf(app: SampleApp, token: string, userId: string): Promise<number> {
  const response = await app.request('GET', `/economy/balances/${encodeURIComponent(userId)}`, {
    token,
  });
  if (response.status !== 200) throw new Error(`GET balance: ${describeResponse(response)}`);
  return response.json.balance;
}

/** The number in a `cus_<n>` display id. */
export function displayNumber(customer: { display_id: string }): number {
  const match = /^cus_(\d+)$/.exec(customer.display_id);
  if (!match) throw new Error(`not a display_id: ${customer.display_id}`);
  return Number(match[1]);
}
