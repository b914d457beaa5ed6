import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionFileError, readConnectionFile, writeConnectionFile } from './connection-file';
import { formatDeviceConnectionString } from './connection-strings';

describe('connection.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-conn-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const content = {
    hostName: 'localhost',
    mqttPort: 8883,
    httpsPort: 8443,
    serviceConnectionString: 'HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=k',
    caFile: '/tmp/ca.pem',
  };

  it('round-trips, readable by its owner only', async () => {
    const path = await writeConnectionFile(dir, content);
    expect(statSync(path).mode & 0o077).toBe(0);
    await expect(readConnectionFile(dir)).resolves.toEqual(content);
  });

  it.each([
    ['missing', undefined, /does not exist/],
    ['not JSON', '{', /not valid JSON/],
    ['not a hub file', '{"hostName":"x"}', /not a local hub connection file/],
  ])('refuses a file that is %s', async (_label, text, message) => {
    if (text !== undefined) writeFileSync(join(dir, 'connection.json'), text);
    await expect(readConnectionFile(dir)).rejects.toThrow(ConnectionFileError);
    await expect(readConnectionFile(dir)).rejects.toThrow(message);
  });

  it('formats a device connection string pointing at the MQTT port', () => {
    expect(
      formatDeviceConnectionString({ hostName: 'localhost', deviceId: 'd1', key: 'K=', mqttPort: 1883 }),
    ).toBe('HostName=localhost;DeviceId=d1;SharedAccessKey=K=;GatewayHostName=127.0.0.1:1883');
    expect(
      formatDeviceConnectionString({
        hostName: 'h',
        deviceId: 'd',
        key: 'K',
        mqttPort: 1,
        gatewayHost: '::1',
      }),
    ).toBe('HostName=h;DeviceId=d;SharedAccessKey=K;GatewayHostName=[::1]:1');
  });
});
