import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { IdempotencyException } from '../errors/idempotency.exception.js';
import { HttpExchanges } from './http-exchanges.js';

/**
 * Sends the library's errors as `application/problem+json` itself (status, headers such as
 * `Retry-After`, body), so that no HTTP adapter rewrites their content type. Registered
 * globally by `IdempotencyModule`. A filter of the app's that catches `IdempotencyException`
 * and is bound closer to the route (or with `app.useGlobalFilters()`) sees them first.
 */
@Catch(IdempotencyException)
export class IdempotencyExceptionFilter implements ExceptionFilter<IdempotencyException> {
  constructor(private readonly exchanges: HttpExchanges) {}

  catch(exception: IdempotencyException, host: ArgumentsHost): Observable<never> | void {
    // Outside HTTP (IdempotencyService.run() in a message handler), the error stays the caller's.
    if (host.getType() !== 'http') return throwError(() => exception);
    this.exchanges.of(host).sendProblem(exception);
  }
}
