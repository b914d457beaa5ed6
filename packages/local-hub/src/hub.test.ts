import { connect } from 'node:net';
import { startLocalHub } from './hub';
import { MemoryBackend } from './persistence/backend';
import { connectRaw, deviceToken } from './test-support/raw-mqtt';
import { rawRequest } from './test-support/rest-client';

/** Resolves with the socket error code of a TCP connect to the port ('connected' if one was accepted). */
function dial(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

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
      // aedes reports a connection only after its CONNACK is on the wire (and the session restored), so
      // the client may see CONNACK first: wait for the hub's own event, here a method subscription.
      await raw.subscribeAsync('$iothub/methods/POST/#', { qos: 0 });
      await hub.whenDeviceSubscribedToMethods('gone');
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

  it('answers a method call waiting for its device with 503 when the hub closes', async () => {
    const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0 });
    let closed: Promise<void> | undefined;
    try {
      await hub.createDevice('offline');
      const call = rawRequest(hub, 'POST', '/twins/offline/methods?api-version=2021-04-12', {
        body: JSON.stringify({ methodName: 'reboot', connectTimeoutInSeconds: 300 }),
      });
      // The call is parked once the hub has read it: wait for that through a second, quick request.
      await rawRequest(hub, 'GET', '/devices/offline?api-version=2021-04-12');
      closed = hub.close();
      await expect(call).resolves.toMatchObject({ status: 503 });
    } finally {
      await (closed ?? hub.close());
    }
  });

  it('closes within closeTimeoutMs when a state write never becomes durable, failing that write', async () => {
    let stuck = false;
    const storage = new (class extends MemoryBackend {
      override append(lines: string) {
        return stuck ? new Promise<void>(() => undefined) : super.append(lines);
      }
    })();
    const hub = await startLocalHub({
      inMemory: true,
      mqttPort: 0,
      httpsPort: 0,
      storage,
      closeTimeoutMs: 300,
    });
    stuck = true;
    const create = hub.createDevice('never-durable');
    await hub.close();
    await expect(create).rejects.toThrow(/closed before this write was durable/);
    expect(await dial(hub.httpsPort)).toBe('ECONNREFUSED');
    expect(await dial(hub.mqttPort)).toBe('ECONNREFUSED');
  });

  it.each(['mqttPort', 'httpsPort'] as const)(
    'closes connections still in their TLS handshake on the %s (a reconnecting client cannot hold it open)',
    async (port) => {
      const hub = await startLocalHub({
        inMemory: true,
        mqttPort: 0,
        httpsPort: 0,
        slowClientTimeoutMs: 600_000,
      });
      const socket = connect(hub[port], '127.0.0.1');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      await hub.close();
      await closed;
      expect(await dial(hub[port])).toBe('ECONNREFUSED');
    },
  );
});
