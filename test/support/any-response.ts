/**
 * The part of a response that Express's `Response` and Fastify's `FastifyReply` share, with the
 * same meaning: what a fixture may use so that it runs on both adapters.
 */
export interface AnyResponse {
  status(code: number): AnyResponse;
  header(name: string, value: string): AnyResponse;
  type(contentType: string): AnyResponse;
  send(body?: unknown): unknown;
}
