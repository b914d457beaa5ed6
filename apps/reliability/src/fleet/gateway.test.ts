import { ConnectionStringShapeError, withGateway } from './gateway';

describe('withGateway', () => {
  const base = 'HostName=localhost;DeviceId=d1;SharedAccessKey=a2V5';

  it('adds or replaces GatewayHostName and keeps the rest', () => {
    expect(withGateway(base, '127.0.0.1:4000')).toBe(`${base};GatewayHostName=127.0.0.1:4000`);
    expect(withGateway(`${base};GatewayHostName=127.0.0.1:8883`, '127.0.0.1:4000')).toBe(
      `${base};GatewayHostName=127.0.0.1:4000`,
    );
  });

  it('refuses SAS-token strings, non-device strings and bad gateways without echoing the key', () => {
    const bad = [
      ['HostName=h;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=x&sig=c2ln&se=1', '127.0.0.1:1'],
      ['HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=a2V5', '127.0.0.1:1'],
      [base, '127.0.0.1'],
      [base, 'a b:1'],
    ] as const;
    for (const [cs, gateway] of bad) {
      expect(() => withGateway(cs, gateway)).toThrow(ConnectionStringShapeError);
      try {
        withGateway(cs, gateway);
      } catch (err) {
        expect((err as Error).message).not.toMatch(/a2V5|c2ln/);
      }
    }
  });
});
