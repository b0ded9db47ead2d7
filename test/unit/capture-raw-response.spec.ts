import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { captureRawResponse } from '../../lib/http/capture-raw-response.js';
import type { StoredResponse } from '../../lib/index.js';
import { Gate } from '../support/gate.js';

/** What one request's capture reported, and what its client received. */
interface Exchange {
  reports: StoredResponse[];
  received: string;
  /** The response closed on the server: every report it will get has come. */
  closed: Promise<void>;
}

// captureRawResponse() on a bare Node.js server: what the Express exchange builds on.
describe('captureRawResponse', () => {
  let server: Server;
  let respond: (response: ServerResponse) => void;
  let onEnd: (sent: StoredResponse) => Promise<void>;

  beforeAll(async () => {
    server = createServer((_, response) => {
      captureRawResponse(response, 1000, (sent) => onEnd(sent));
      respond(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** Sends a request; `received` grows as the client reads, `done` resolves when it ends or breaks. */
  function exchange(write: (response: ServerResponse) => void) {
    const result: Exchange = { reports: [], received: '', closed: Promise.resolve() };
    let closed!: () => void;
    result.closed = new Promise((resolve) => (closed = resolve));
    respond = (response) => {
      response.on('close', closed);
      write(response);
    };
    const done = new Promise<void>((resolve) => {
      const req = request({ port: (server.address() as { port: number }).port }, (res) => {
        res.on('data', (chunk: Buffer) => (result.received += chunk.toString()));
        res.on('end', resolve);
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    return { result, done };
  }

  it('reports a response once, and holds its last byte until the report settles', async () => {
    const gate = new Gate();
    onEnd = (sent) => {
      reports.push(sent);
      return gate.pass();
    };
    const reports: StoredResponse[] = [];
    const { result, done } = exchange((response) => {
      response.statusCode = 201;
      response.setHeader('Content-Type', 'text/plain');
      response.setHeader('Location', '/things/1');
      response.write('hel');
      response.end('lo');
    });
    await gate.entered;
    expect('he'.startsWith(result.received)).toBe(true);
    gate.release();
    await done;
    await result.closed;
    expect(result.received).toBe('hello');
    expect(reports).toEqual([
      {
        status: 201,
        headers: { 'content-type': 'text/plain', location: '/things/1' },
        body: Buffer.from('hello'),
      },
    ]);
  });

  it('reads the headers that writeHead() was given as a flat array of names and values', async () => {
    const reports: StoredResponse[] = [];
    onEnd = async (sent) => void reports.push(sent);
    const { result, done } = exchange((response) => {
      response.writeHead(202, ['Content-Type', 'text/plain', 'Location', '/things/2']);
      response.end('ok');
    });
    await done;
    await result.closed;
    expect(reports).toEqual([
      {
        status: 202,
        headers: { 'content-type': 'text/plain', location: '/things/2' },
        body: Buffer.from('ok'),
      },
    ]);
  });

  it('reports a response cut after its headers went out once, without a body', async () => {
    const reports: StoredResponse[] = [];
    onEnd = async (sent) => void reports.push(sent);
    const { result, done } = exchange((response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.write('part of it', () => response.destroy());
    });
    await done;
    await result.closed;
    expect(reports).toEqual([
      { status: 200, headers: { 'content-type': 'text/plain' }, body: null },
    ]);
  });
});
