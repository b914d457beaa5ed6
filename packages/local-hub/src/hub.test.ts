import { startLocalHub } from './hub';
import { connectRaw, deviceToken } from './test-support/raw-mqtt';

describe('startLocalHub', () => {
  it('runs in memory on free ports with nothing on disk', async () => {
    const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0 });
    try {
      expect(hub.mqttPort).toBeGreaterThan(0);
      expect(hub.httpsPort).not.toBe(hub.mqttPort);
      expect([hub.caFile, hub.connectionFile]).toEqual([undefined, undefined]);
      expect(hub.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(hub.serviceConnectionString('registryRead')).toMatch(
        new RegExp(
          `^HostName=localhost;SharedAccessKeyName=registryRead;SharedAccessKey=[^;]+;GatewayHostName=127\\.0\\.0\\.1:${hub.httpsPort}$`,
        ),
      );
      expect(() => hub.deviceConnectionString('nobody')).toThrow(
        expect.objectContaining({ errorName: 'DeviceNotFound' }),
      );
    } finally {
      await hub.close();
    }
  });

  it('fails to start on a port in use, leaving nothing open', async () => {
    const first = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0 });
    try {
      await expect(
        startLocalHub({ inMemory: true, mqttPort: first.mqttPort, httpsPort: 0 }),
      ).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
      await expect(
        startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: first.httpsPort }),
      ).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await first.close();
    }
  });

  it('disconnects a device when it is removed, and reports connection state', async () => {
    const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0 });
    try {
      const device = await hub.createDevice('gone');
      const raw = await connectRaw(hub, 'gone', deviceToken(hub, 'gone', device.primaryKey));
      expect(hub.listDevices()[0]?.connectionState).toBe('Connected');
      const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
      await hub.removeDevice('gone');
      await closed;
      await raw.endAsync();
      expect(hub.listDevices()).toEqual([]);
    } finally {
      await hub.close();
    }
  });
});
