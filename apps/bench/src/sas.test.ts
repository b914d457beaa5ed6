import { createHmac } from 'node:crypto';
import { deviceSasToken } from './sas';

describe('deviceSasToken', () => {
  const key = Buffer.alloc(32, 7).toString('base64');

  it('signs the url-encoded resource and expiry with the decoded key', () => {
    const token = deviceSasToken('localhost', 'dev 1', key, 1_900_000_000);
    const resource = 'localhost%2Fdevices%2Fdev%201';
    const expected = createHmac('sha256', Buffer.alloc(32, 7))
      .update(`${resource}\n1900000000`)
      .digest('base64');
    expect(token).toBe(
      `SharedAccessSignature sr=${resource}&sig=${encodeURIComponent(expected)}&se=1900000000`,
    );
  });

  it('changes with the key', () => {
    const other = Buffer.alloc(32, 8).toString('base64');
    expect(deviceSasToken('h', 'd', key, 1)).not.toBe(deviceSasToken('h', 'd', other, 1));
  });
});
