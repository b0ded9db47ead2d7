import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JsonRequest } from '../http/json-request.interface.js';

/** The caller's tenant id, set by `BearerAuthGuard`. */
export const TenantId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const tenantId = context.switchToHttp().getRequest<JsonRequest>().tenantId;
    if (tenantId === undefined)
      throw new Error('TenantId used on a route that BearerAuthGuard let through without a token');
    return tenantId;
  },
);

/** What `IdempotencyModule` scopes keys by: the same function, for its `tenant` option. */
export function tenantOf(context: ExecutionContext): string | undefined {
  return context.switchToHttp().getRequest<JsonRequest>().tenantId;
}
