import type { Response } from 'supertest';

/**
 * Asserts that a response is the library's problem+json error: the content type, exactly the
 * fields `type`, `title`, `status`, `detail`, `code`, and `status` equal to the HTTP status.
 */
export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
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
