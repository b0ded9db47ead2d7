import { HttpException, HttpStatus } from '@nestjs/common';

/** An RFC 9457 problem body: how the sample app answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

/** Builds a problem body; `type` follows the library's `about:blank#<code>` form. */
export function problem(status: number, code: string, title: string, detail: string): Problem {
  return { type: `about:blank#${code}`, title, status, detail, code };
}

/**
 * An error the sample app answers with, as problem+json. `headers` go out with it
 * (`WWW-Authenticate`, `Retry-After`).
 */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: Problem,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem, problem.status);
  }

  /** `400 validation_failed`: the body is valid JSON, but not what the route accepts. */
  static validationFailed(detail: string): ProblemException {
    return new ProblemException(
      problem(HttpStatus.BAD_REQUEST, 'validation_failed', 'Validation failed', detail),
    );
  }

  /** `400 malformed_json`: the body is not JSON at all. */
  static malformedJson(reason: string): ProblemException {
    return new ProblemException(
      problem(
        HttpStatus.BAD_REQUEST,
        'malformed_json',
        'Malformed JSON',
        `The request body is not valid JSON: ${reason}`,
      ),
    );
  }

  /** `401 unauthorized`, with the `WWW-Authenticate` challenge. */
  static unauthorized(detail: string): ProblemException {
    return new ProblemException(
      problem(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Unauthorized', detail),
      { 'WWW-Authenticate': 'Bearer realm="sample-app"' },
    );
  }

  /** `404 not_found`. */
  static notFound(detail: string): ProblemException {
    return new ProblemException(problem(HttpStatus.NOT_FOUND, 'not_found', 'Not Found', detail));
  }

  /** `503 database_unavailable`: the app's own database could not be reached. */
  static databaseUnavailable(): ProblemException {
    return new ProblemException(
      problem(
        HttpStatus.SERVICE_UNAVAILABLE,
        'database_unavailable',
        'Database unavailable',
        'The database cannot be reached; retry later.',
      ),
      { 'Retry-After': '1' },
    );
  }

  /** `500 internal_error`. */
  static internalError(detail = 'An unexpected error occurred.'): ProblemException {
    return new ProblemException(
      problem(HttpStatus.INTERNAL_SERVER_ERROR, 'internal_error', 'Internal Server Error', detail),
    );
  }
}
