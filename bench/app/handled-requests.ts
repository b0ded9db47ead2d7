import type { IncomingMessage, ServerResponse } from 'node:http';

let handled = 0;

/**
 * Express middleware: counts requests whose response is done (sent, or its connection gone: a
 * load run ends by closing connections, and the statements of those requests still count),
 * except the runner's own `/_bench` calls.
 */
export function countHandledRequests(
  request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
): void {
  if (!request.url?.startsWith('/_bench')) response.once('close', () => handled++);
  next();
}

/** Responses finished so far. */
export function handledRequests(): number {
  return handled;
}
