import type { SampleAppResponse } from './sample-app-process.js';

export function isReplay(response: SampleAppResponse): boolean {
  return response.headers['idempotent-replay'] === 'true';
}

/**
 * Asserts that `replay` is the stored `original` given back: same status, body bytes,
 * Content-Type and Location, plus `Idempotent-Replay: true`.
 */
export function expectReplayOf(replay: SampleAppResponse, original: SampleAppResponse): void {
  expect(isReplay(original)).toBe(false);
  expect({
    status: replay.status,
    text: replay.text,
    contentType: replay.headers['content-type'],
    location: replay.headers['location'],
    replay: replay.headers['idempotent-replay'],
  }).toEqual({
    status: original.status,
    text: original.text,
    contentType: original.headers['content-type'],
    location: original.headers['location'],
    replay: 'true',
  });
  expect(replay.body.equals(original.body)).toBe(true);
}
