import { deviceConnectionString, reachesDirectly, serviceConnectionString } from './connection-strings';

describe('connection strings', () => {
  const loopback = (port: number) => ({ host: '127.0.0.1', port });

  // The plain form is what `az iot hub device-identity connection-string show` prints: no GatewayHostName.
  it("is IoT Hub's plain form when the hub is on the standard port of a host name that reaches it", () => {
    expect(deviceConnectionString('localhost', 'd1', 'K=', loopback(8883))).toBe(
      'HostName=localhost;DeviceId=d1;SharedAccessKey=K=',
    );
    expect(serviceConnectionString('localhost', 'service', 'K=', loopback(443))).toBe(
      'HostName=localhost;SharedAccessKeyName=service;SharedAccessKey=K=',
    );
    expect(deviceConnectionString('10.0.0.5', 'd1', 'K', { host: '10.0.0.5', port: 8883 })).toBe(
      'HostName=10.0.0.5;DeviceId=d1;SharedAccessKey=K',
    );
  });

  it('names the gateway when the port is another, or the host name does not lead to the hub', () => {
    expect(deviceConnectionString('localhost', 'd1', 'K', loopback(18883))).toBe(
      'HostName=localhost;DeviceId=d1;SharedAccessKey=K;GatewayHostName=127.0.0.1:18883',
    );
    expect(serviceConnectionString('localhost', 'service', 'K', loopback(8443))).toMatch(
      /;GatewayHostName=127\.0\.0\.1:8443$/,
    );
    expect(deviceConnectionString('my-hub', 'd1', 'K', loopback(8883))).toMatch(
      /;GatewayHostName=127\.0\.0\.1:8883$/,
    );
    expect(deviceConnectionString('localhost', 'd', 'K', { host: '::1', port: 1 })).toMatch(
      /;GatewayHostName=\[::1\]:1$/,
    );
  });

  it('treats only loopback as reached by localhost', () => {
    expect(reachesDirectly('localhost', { host: '::1', port: 8883 }, 8883)).toBe(true);
    expect(reachesDirectly('localhost', { host: '192.168.1.2', port: 8883 }, 8883)).toBe(false);
  });
});
