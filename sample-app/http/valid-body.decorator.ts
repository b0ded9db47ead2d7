import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JsonRequest } from './json-request.interface.js';
import { ProblemException } from './problem.exception.js';

/**
 * Injects the request body after `validate` checked it. Runs inside the interceptors (Nest
 * resolves parameters there), so its 400s are part of the idempotent operation.
 * @throws ProblemException `malformed_json`, or whatever `validate` throws
 * @example create(@ValidBody(validateNewCustomer) input: NewCustomer)
 */
export const ValidBody = createParamDecorator(
  (validate: (body: unknown) => unknown, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<JsonRequest>();
    if (request.jsonError !== undefined) throw ProblemException.malformedJson(request.jsonError);
    return validate(request.body);
  },
);
