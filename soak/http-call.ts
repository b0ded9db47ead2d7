import { request, type IncomingHttpHeaders } from 'node:http';

/** What one HTTP attempt came to. `ms` is from sending to the last body byte (or the failure). */
export type CallResult =
  | { kind: 'answer'; status: number; headers: IncomingHttpHeaders; body: Buffer; ms: number }
  | { kind: 'connection-error'; code: string; ms: number }
  | { kind: 'timeout'; ms: number };

export type Answer = Extract<CallResult, { kind: 'answer' }>;

/**
 * One request to the app on 127.0.0.1:`port`, on a connection of its own (no keep-alive): a
 * reused socket that the server closed when idle would fail like a killed process does.
 */
export function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<CallResult> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  return new Promise((resolve) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ kind: 'connection-error', code: error.code ?? error.message, ms: ms() }),
        );
        response.on('end', () =>
          resolve({
            kind: 'answer',
            status: response.statusCode!,
            headers: response.headers,
            body: Buffer.concat(chunks),
            ms: ms(),
          }),
        );
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy();
      resolve({ kind: 'timeout', ms: ms() });
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ kind: 'connection-error', code: error.code ?? error.message, ms: ms() }),
    );
    outgoing.end(body);
  });
}
