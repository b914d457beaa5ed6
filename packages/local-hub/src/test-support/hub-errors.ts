import type { RawResponse } from './rest-client';

/** What every refusal must look like: IoT Hub's body and header, and nothing secret echoed back. */
export function expectHubError(res: RawResponse, secrets: readonly string[] = []): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const name = res.headers['iothub-errorcode'];
  expect(typeof name).toBe('string');
  expect(res.json).toEqual({
    Message: expect.stringMatching(new RegExp(`^ErrorCode:${String(name)};`)),
    ExceptionMessage: expect.stringMatching(/^Tracking ID:[0-9a-f]+-G:0-TimeStamp:/),
  });
  for (const secret of secrets) expect(res.text).not.toContain(secret);
}
