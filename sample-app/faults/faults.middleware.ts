import type { ServerResponse } from 'node:http';
import { HttpStatus, Injectable, type NestMiddleware } from '@nestjs/common';
import type { JsonRequest } from '../http/json-request.interface.js';
import { problem } from '../http/problem.exception.js';
import { sendProblem } from '../http/send-problem.js';
import { crash, parseSimulation, SIMULATE_HEADER } from './simulation.js';

/**
 * Mounted only with `SAMPLE_FAULTS=1`. Rejects an `X-Simulate` value that names no fault
 * (before any key is claimed, as the header is not part of the fingerprint), and implements
 * `crash-before-response`: the process dies when the response is about to be written. The
 * library wraps `res.end` later, so its wrapper runs first, settles the key (in transactional
 * mode the key was already completed in the handler's committed transaction), then calls this
 * one.
 */
@Injectable()
export class FaultsMiddleware implements NestMiddleware {
  use(request: JsonRequest, response: ServerResponse, next: () => void): void {
    const simulation = parseSimulation(request.headers[SIMULATE_HEADER]);
    if (simulation === null) {
      request.resume();
      return sendProblem(
        response,
        problem(
          HttpStatus.BAD_REQUEST,
          'invalid_simulation',
          'Invalid simulation',
          'X-Simulate must be one of: error, slow:<ms>, crash, crash-after-write, crash-before-response.',
        ),
      );
    }
    if (simulation?.kind === 'crash-before-response') {
      response.end = (() => crash()) as unknown as ServerResponse['end'];
    }
    next();
  }
}
