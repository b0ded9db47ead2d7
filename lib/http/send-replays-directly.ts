import { ReplayFile } from './replay-file.js';

/** The method of Nest's HTTP adapter that sends what a route's interceptors returned. */
interface ReplyingAdapter {
  reply(response: unknown, body: unknown, statusCode?: number): unknown;
}

const INSTALLED = Symbol('nestjs-idempotency: sendReplaysDirectly');

/**
 * Has the Express adapter send a `ReplayFile` (whose status and headers are already set) with
 * one `end()` of its stored bytes, instead of piping the stream of a `StreamableFile` through
 * the response: a replay does less work than any handler's answer. Every other value, and a
 * `ReplayFile` for another response, goes to the adapter's own `reply()`, which sends it as
 * the `StreamableFile` it still is. Installed once per adapter.
 */
export function sendReplaysDirectly(adapter: ReplyingAdapter): void {
  const marked = adapter as ReplyingAdapter & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return;
  marked[INSTALLED] = true;
  const reply = adapter.reply.bind(adapter);
  adapter.reply = (response, body, statusCode) => {
    if (body instanceof ReplayFile && body.sendTo(response)) return response;
    return reply(response, body, statusCode);
  };
}
