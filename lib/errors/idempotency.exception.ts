import { HttpException, HttpStatus } from '@nestjs/common';
import { IDEMPOTENCY_MESSAGES } from './idempotency-messages.constants.js';

/** The stable `code` of every error the library answers with. */
export type IdempotencyErrorCode =
  | 'idempotency_key_missing'
  | 'idempotency_key_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'idempotency_store_unavailable'
  | 'idempotency_response_unavailable';

/** An RFC 9457 problem+json body, with the library's `code`. */
export interface IdempotencyProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: IdempotencyErrorCode;
}

/**
 * The error the library answers a request with. Its response body (`getResponse()`) is the
 * problem+json object; `headers` holds what must go with it (`Retry-After`).
 */
export class IdempotencyException extends HttpException {
  constructor(
    readonly code: IdempotencyErrorCode,
    status: number,
    readonly headers: Readonly<Record<string, string>> = {},
    detail?: string,
  ) {
    const { title, detail: defaultDetail } = IDEMPOTENCY_MESSAGES[code];
    const problem: IdempotencyProblem = {
      type: `about:blank#${code}`,
      title,
      status,
      detail: detail ?? defaultDetail,
      code,
    };
    super(problem, status);
  }

  /** The problem+json body. */
  get problem(): IdempotencyProblem {
    return this.getResponse() as IdempotencyProblem;
  }

  /** `400 idempotency_key_missing`: the route requires a key and none was sent. */
  static keyMissing(headerName: string): IdempotencyException {
    const detail = IDEMPOTENCY_MESSAGES.idempotency_key_missing.detail.replace(
      '{header}',
      headerName,
    );
    return new IdempotencyException('idempotency_key_missing', HttpStatus.BAD_REQUEST, {}, detail);
  }

  /** `400 idempotency_key_invalid`: empty, too long, or with characters outside 0x21-0x7E. */
  static keyInvalid(maxKeyLength: number): IdempotencyException {
    const detail = IDEMPOTENCY_MESSAGES.idempotency_key_invalid.detail.replace(
      '{max}',
      String(maxKeyLength),
    );
    return new IdempotencyException('idempotency_key_invalid', HttpStatus.BAD_REQUEST, {}, detail);
  }

  /** `409` (or `422`) `idempotency_key_reused`: the key was used for a different request. */
  static keyReused(status: 409 | 422): IdempotencyException {
    return new IdempotencyException('idempotency_key_reused', status);
  }

  /** `409 idempotency_key_in_use`: the first request with the key is still running. */
  static keyInUse(retryAfterSeconds: number): IdempotencyException {
    return new IdempotencyException('idempotency_key_in_use', HttpStatus.CONFLICT, {
      'Retry-After': String(retryAfterSeconds),
    });
  }

  /** `503 idempotency_store_unavailable`: the store could not be reached; nothing ran. */
  static storeUnavailable(retryAfterSeconds = 1): IdempotencyException {
    return new IdempotencyException(
      'idempotency_store_unavailable',
      HttpStatus.SERVICE_UNAVAILABLE,
      {
        'Retry-After': String(retryAfterSeconds),
      },
    );
  }

  /** `409 idempotency_response_unavailable`: the operation completed; its response was not kept. */
  static responseUnavailable(): IdempotencyException {
    return new IdempotencyException('idempotency_response_unavailable', HttpStatus.CONFLICT);
  }
}
