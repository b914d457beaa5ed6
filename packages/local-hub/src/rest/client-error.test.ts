import { clientErrorResponse } from './client-error';

function parse(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => line.split(': ') as [string, string]));
  return { statusLine, headers, body };
}

describe('clientErrorResponse', () => {
  it.each([
    ['HPE_INVALID_CONSTANT', 'HTTP/1.1 400 Bad Request', 'ArgumentInvalid'],
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 400 Bad Request', 'ArgumentInvalid'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 'RequestTimeout'],
    [undefined, 'HTTP/1.1 400 Bad Request', 'ArgumentInvalid'],
  ])('answers %s with %s and an IoT Hub body', (code, statusLine, name) => {
    const response = parse(clientErrorResponse({ ...(code ? { code } : {}) }, new Date(0)));
    expect(response.statusLine).toBe(statusLine);
    expect(response.headers).toMatchObject({ connection: 'close', 'iothub-errorcode': name });
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
    expect(JSON.parse(response.body).Message).toMatch(new RegExp(`^ErrorCode:${name};`));
  });
});
