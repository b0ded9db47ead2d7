import { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { ExpressExchange } from '../../lib/http/express-exchange.js';

/** Express's own rule, as res.send() applies it to the type of a text body (untyped module). */
const { setCharset } = createRequire(import.meta.url)('express/lib/utils.js') as {
  setCharset: (type: string, charset: string) => string;
};

/** The Content-Type the transactional mode commits for a string answer under `type`. */
function expectedType(type: string): string | undefined {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  response.setHeader('Content-Type', type);
  const exchange = new ExpressExchange(request as never, response);
  return exchange.expectedResponse('text').headers['content-type'];
}

// The committed answer must be the bytes Express sends, or every request is corrected after its
// commit (transactional-settling.e2e-spec.ts): its Content-Type as Express rewrites it.
describe("ExpressExchange.expectedResponse(): the Content-Type of a text body, as Express's res.send() writes it", () => {
  it.each([
    'text/plain',
    'TEXT/Plain',
    'text/plain; charset=latin1',
    'text/plain; Charset=ISO-8859-1; format=flowed',
    'text/plain; format=flowed; charset=latin1',
    'application/vnd.acme.statement+json; Version=2; profile="short"',
    'text/plain; title="a \\"quoted\\" title"; charset=utf-8',
    'text/plain; title="two words"',
    'text/plain; name=first; NAME=second',
    'text/plain;format=flowed',
  ])('%s', (type) => {
    expect(expectedType(type)).toBe(setCharset(type, 'utf-8'));
  });
});
