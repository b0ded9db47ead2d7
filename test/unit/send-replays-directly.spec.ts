import { jest } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { ReplayFile } from '../../lib/http/replay-file.js';
import { sendReplaysDirectly } from '../../lib/http/send-replays-directly.js';

/** A Node.js response that records what it is ended with. */
function fakeResponse() {
  return { end: jest.fn() } as unknown as ServerResponse & { end: jest.Mock };
}

/** An adapter whose own reply() records what it was asked to send. */
function fakeAdapter() {
  const sent: unknown[][] = [];
  const adapter = {
    reply(response: unknown, body: unknown, statusCode?: number): unknown {
      sent.push([response, body, statusCode]);
      return response;
    },
  };
  return { adapter, sent };
}

describe('sendReplaysDirectly()', () => {
  it("ends the response a ReplayFile was made for with its bytes, without the adapter's reply()", () => {
    const { adapter, sent } = fakeAdapter();
    sendReplaysDirectly(adapter);
    const response = fakeResponse();
    const body = Buffer.from('{"n":1}');
    adapter.reply(response, new ReplayFile(response, body, undefined), 201);
    expect(response.end).toHaveBeenCalledWith(body);
    expect(sent).toEqual([]);
  });

  it('ends a bodiless replay (a 204) with no body', () => {
    const { adapter } = fakeAdapter();
    sendReplaysDirectly(adapter);
    const response = fakeResponse();
    adapter.reply(response, new ReplayFile(response, undefined, undefined), 201);
    expect(response.end).toHaveBeenCalledWith(undefined);
  });

  it("leaves every other value, and a ReplayFile for another response, to the adapter's reply()", () => {
    const { adapter, sent } = fakeAdapter();
    sendReplaysDirectly(adapter);
    const [response, other] = [fakeResponse(), fakeResponse()];
    const file = new ReplayFile(other, Buffer.from('x'), undefined);
    adapter.reply(response, file, 201);
    adapter.reply(response, { a: 1 }, 200);
    expect(sent).toEqual([
      [response, file, 201],
      [response, { a: 1 }, 200],
    ]);
    expect(response.end).not.toHaveBeenCalled();
    expect(other.end).not.toHaveBeenCalled();
  });

  it('installs itself once per adapter', () => {
    const { adapter, sent } = fakeAdapter();
    sendReplaysDirectly(adapter);
    const installed = adapter.reply;
    sendReplaysDirectly(adapter);
    expect(adapter.reply).toBe(installed);
    adapter.reply(fakeResponse(), 'text', 200);
    expect(sent).toHaveLength(1);
  });
});
