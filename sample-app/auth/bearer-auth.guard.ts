import { createHash } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { JsonRequest } from '../http/json-request.interface.js';
import { ProblemException } from '../http/problem.exception.js';
import { IS_PUBLIC } from './public.decorator.js';

const BEARER = /^Bearer(?:[ \t]+(.*))?$/i;

/**
 * Every route but the `@Public()` ones needs `Authorization: Bearer <token>`. Any non-empty token
 * is accepted (this is a demo) and names the tenant: `request.tenantId` is its sha256 hex, so the
 * raw token is never stored. Guards run before interceptors, so a 401 claims no key.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    if (
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    const request = context.switchToHttp().getRequest<JsonRequest>();
    request.tenantId = createHash('sha256')
      .update(bearerToken(request.headers.authorization))
      .digest('hex');
    return true;
  }
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw ProblemException.unauthorized(
      'This route needs an "Authorization: Bearer <token>" header.',
    );
  }
  const match = BEARER.exec(header.trim());
  if (!match)
    throw ProblemException.unauthorized('The Authorization header must use the Bearer scheme.');
  const token = (match[1] ?? '').trim();
  if (token === '') throw ProblemException.unauthorized('The bearer token is empty.');
  return token;
}
