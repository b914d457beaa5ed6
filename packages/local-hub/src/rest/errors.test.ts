import type { ServerResponse } from 'node:http';
import { HubError } from '../errors';
import { sendHubError } from './errors';

function fakeResponse() {
  const out: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, unknown>) {
      out.status = status;
      out.headers = headers;
    },
    end(body: string) {
      out.body = body;
    },
  } as unknown as ServerResponse;
  return { res, out };
}

describe('IoT Hub error bodies', () => {
  it('writes Message with ErrorCode, ExceptionMessage with tracking id and timestamp, and iothub-errorcode', () => {
    const { res, out } = fakeResponse();
    sendHubError(
      res,
      new HubError('DeviceNotOnline', 'Timed out; waiting.'),
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(out.status).toBe(404);
    expect(out.headers).toMatchObject({ 'iothub-errorcode': 'DeviceNotOnline' });
    const body = JSON.parse(out.body ?? '');
    // The SDK splits Message on ";": the text must not add another field.
    expect(body.Message).toBe('ErrorCode:DeviceNotOnline;Timed out, waiting.');
    expect(body.ExceptionMessage).toMatch(
      /^Tracking ID:[0-9a-f]{32}-G:0-TimeStamp:2026-01-02T03:04:05.000Z$/,
    );
  });
});
