import type { Response } from 'supertest';
import type { SampleAppResponse } from './sample-app-process.js';

export const PROBLEM_JSON = /^application\/problem\+json\b/;

/**
 * Asserts that a response is the library's problem+json error: the content type, exactly the
 * fields `type`, `title`, `status`, `detail`, `code`, and `status` equal to the HTTP status.
 */
export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  const body = JSON.parse(response.text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
  expect(body).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
  });
  expect(response.headers['idempotent-replay']).toBeUndefined();
}

/**
 * Asserts an `application/problem+json` answer of the sample app with type/title/status: what
 * its contract promises for every error, 401 and 404 included. The idempotency codes also need
 * `detail` and `code` (the contract lists all five fields).
 */
export function expectSampleAppProblem(
  response: SampleAppResponse,
  status: number,
  code?: string,
): void {
  expect({ status: response.status, text: response.text }).toEqual({
    status,
    text: expect.any(String),
  });
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  const problem = response.json;
  expect(problem).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status }),
  );
  if (code !== undefined) {
    expect(problem).toEqual(expect.objectContaining({ detail: expect.any(String), code }));
  }
}
