import { STATUS_CODES, type ServerResponse } from 'node:http';
import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { IdempotencyException } from '../../lib/index.js';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { problem, ProblemException, type Problem } from './problem.exception.js';
import { sendProblem } from './send-problem.js';

/**
 * Answers every error as `application/problem+json` `{type, title, status, detail, code}`:
 * the library's own (body unchanged, with the headers it set), the app's, Nest's (404 for an
 * unknown route), and anything unexpected (500 `internal_error`).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<ServerResponse>();
    const { body, headers } = this.toProblem(exception);
    if (response.headersSent) {
      // Too late for a problem body; end the response so the library still settles its key.
      this.logger.error(`Error after the response started: ${String(exception)}`);
      if (!response.writableEnded) response.end();
      return;
    }
    sendProblem(response, body, headers);
  }

  private toProblem(exception: unknown): {
    body: Problem;
    headers: Readonly<Record<string, string>>;
  } {
    // The library's errors keep their body and their headers (Retry-After), as the library
    // already set them on the response.
    if (exception instanceof IdempotencyException) {
      return { body: exception.problem, headers: exception.headers };
    }
    if (exception instanceof ProblemException) {
      return { body: exception.problem, headers: exception.headers };
    }
    if (exception instanceof HttpException)
      return { body: fromHttpException(exception), headers: {} };
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${(exception as Error).message}`);
      const unavailable = ProblemException.databaseUnavailable();
      return { body: unavailable.problem, headers: unavailable.headers };
    }
    this.logger.error(
      `Unexpected error: ${(exception as Error)?.message ?? String(exception)}`,
      (exception as Error)?.stack,
    );
    return { body: ProblemException.internalError().problem, headers: {} };
  }
}

/** Nest's own exceptions (NotFoundException for an unknown route...), as problems. */
function fromHttpException(exception: HttpException): Problem {
  const status = exception.getStatus();
  const title = STATUS_CODES[status] ?? 'Error';
  const code =
    status >= HttpStatus.INTERNAL_SERVER_ERROR
      ? 'internal_error'
      : title.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const response = exception.getResponse();
  const message =
    typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const detail = Array.isArray(message) ? message.join(' ') : String(message ?? exception.message);
  return problem(status, code, title, detail);
}
