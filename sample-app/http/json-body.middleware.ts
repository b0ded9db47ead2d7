import { AsyncResource } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';
import { HttpStatus, Injectable, type NestMiddleware } from '@nestjs/common';
import { discardBody } from './discard-body.js';
import type { JsonRequest } from './json-request.interface.js';
import { problem } from './problem.exception.js';
import { sendProblem } from './send-problem.js';

/** Largest request body read, in bytes. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads the request body and parses it as JSON, whatever the Content-Type says. It replaces
 * Nest's body parser (the app is created with `bodyParser: false`) because that one rejects
 * malformed JSON in middleware, before the idempotency interceptor runs. Here a body that is
 * not JSON stays on the request as raw bytes, marked with `jsonError`; `@ValidBody()` then
 * answers 400 `malformed_json` inside the idempotent operation, where it is stored and
 * replayed like any 4xx. The library fingerprints those raw bytes as bytes, and a parsed body
 * by its meaning.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(request: JsonRequest, response: ServerResponse, next: () => void): void {
    if (!hasBody(request)) return next();
    const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      discardBody(request);
      return sendProblem(
        response,
        problem(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'unsupported_media_type',
          'Unsupported Media Type',
          `Content-Encoding "${encoding}" is not supported; send the body uncompressed.`,
        ),
      );
    }
    if (Number(request.headers['content-length']) > BODY_LIMIT_BYTES) {
      return tooLarge(request, response);
    }

    // The 'end' event fires in the socket's async context; without this, whatever runs after this
    // middleware (the handler) would lose the request's CLS context (and its transaction).
    const proceed = AsyncResource.bind(next);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        settle();
        return tooLarge(request, response);
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!settle()) return;
      parseInto(request, Buffer.concat(chunks));
      proceed();
    });
    request.on('error', (error) => {
      if (!settle()) return;
      // Usually the client went away; if it is still there, it gets a problem, not HTML.
      if (!response.headersSent && !response.destroyed) {
        sendProblem(
          response,
          problem(
            HttpStatus.BAD_REQUEST,
            'body_unreadable',
            'Request body unreadable',
            `The request body could not be read: ${error.message}`,
          ),
        );
      }
    });
  }
}

function hasBody(request: JsonRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

function parseInto(request: JsonRequest, bytes: Buffer): void {
  if (bytes.length === 0) return;
  try {
    request.body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    request.body = bytes;
    request.jsonError = (error as Error).message;
  }
}

function tooLarge(request: JsonRequest, response: ServerResponse): void {
  // Answer at once, and read the rest rather than close the connection under the client.
  discardBody(request);
  sendProblem(
    response,
    problem(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'payload_too_large',
      'Payload Too Large',
      `The request body is larger than ${BODY_LIMIT_BYTES} bytes.`,
    ),
  );
}
