import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can lose one answer: once `dropNextAnswer()` is armed,
 * the next bytes the server sends are thrown away and that connection is cut. The statement
 * they answer has run (and, outside a transaction, committed); only its client never hears so.
 */
export class AnswerDroppingProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private dropping = false;

  private constructor(private readonly target: URL) {
    this.server = createServer((client) => this.pipe(client));
  }

  /** Listens on a free port of 127.0.0.1, in front of the server of `databaseUrl`. */
  static async start(databaseUrl: string): Promise<AnswerDroppingProxy> {
    const proxy = new AnswerDroppingProxy(new URL(databaseUrl));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `databaseUrl`, through the proxy. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as { port: number }).port);
    return url.toString();
  }

  /** The next answer from the server is lost, and its connection cut. */
  dropNextAnswer(): void {
    this.dropping = true;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: Socket): void {
    const server = connect(Number(this.target.port || 5432), this.target.hostname);
    for (const socket of [client, server]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined); // the other side is cut with it
    }
    client.on('data', (chunk) => server.write(chunk));
    server.on('data', (chunk) => {
      if (!this.dropping) {
        client.write(chunk);
        return;
      }
      this.dropping = false;
      client.destroy();
      server.destroy();
    });
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  }
}
