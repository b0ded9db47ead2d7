import { replayedHeaders } from '../../lib/http/replayed-headers.js';

describe('replayedHeaders', () => {
  const read = (headers: Record<string, unknown>) => replayedHeaders((name) => headers[name]);

  it('keeps the replayed headers the response has, under lower-case names, as strings', () => {
    expect(
      read({ 'content-type': 'text/plain', location: '/orders/1', 'x-request-id': 'r-1' }),
    ).toEqual({ 'content-type': 'text/plain', location: '/orders/1' });
  });

  it('joins a header set to several values as one list, as HTTP reads several lines of it', () => {
    expect(read({ 'content-language': ['en', 'de'] })).toEqual({ 'content-language': 'en, de' });
  });

  it('turns a number into its string', () => {
    expect(read({ location: 7 })).toEqual({ location: '7' });
  });
});
