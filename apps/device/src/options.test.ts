import { CliError } from '@iothub-reboot/app-kit';
import { parseDeviceOptions } from './options';

const CS = 'HostName=h;DeviceId=d;SharedAccessKey=a2V5';

describe('parseDeviceOptions', () => {
  it('uses the tutorial defaults', () => {
    expect(parseDeviceOptions([], { IOTHUB_DEVICE_CONNECTION_STRING: CS })).toEqual({
      kind: 'single',
      connectionString: CS,
      transport: 'mqtt',
      rebootSeconds: 20,
      connectTimeoutSeconds: 60,
      methodName: 'rebootDevice',
      mode: 'report-then-respond',
      logLevel: 'info',
      stateDir: '.device-state',
    });
  });

  it('reads every flag', () => {
    const settings = parseDeviceOptions(
      [
        '--connection-string',
        CS,
        '--ca',
        'ca.pem',
        '--transport',
        'mqtt-ws',
        '--reboot-seconds',
        '0.5',
        '--connect-timeout',
        '15',
        '--method-name',
        'reboot',
        '--mode',
        'respond-then-reboot',
        '--state-dir',
        '/var/lib/x',
        '--log-level',
        'debug',
      ],
      {},
    );
    expect(settings).toEqual({
      kind: 'single',
      connectionString: CS,
      caFile: 'ca.pem',
      transport: 'mqtt-ws',
      rebootSeconds: 0.5,
      connectTimeoutSeconds: 15,
      methodName: 'reboot',
      mode: 'respond-then-reboot',
      logLevel: 'debug',
      stateDir: '/var/lib/x',
    });
  });

  it('takes a real restart command, which implies respond-then-reboot', () => {
    expect(
      parseDeviceOptions(['--reboot-command', 'systemctl reboot'], { IOTHUB_DEVICE_CONNECTION_STRING: CS }),
    ).toMatchObject({ kind: 'single', rebootCommand: 'systemctl reboot', mode: 'respond-then-reboot' });
  });

  it.each([
    [['--reboot-command', ' '], /needs a command/],
    [['--reboot-command', 'reboot', '--mode', 'report-then-respond'], /use --mode respond-then-reboot/],
    [['--reboot-command', 'reboot', '--count', '3'], /not a simulated fleet/],
  ])('refuses %j', (argv, message) => {
    expect(() =>
      parseDeviceOptions(argv, { IOTHUB_DEVICE_CONNECTION_STRING: CS, IOTHUB_CONNECTION_STRING: CS }),
    ).toThrow(message);
  });

  it('switches to a simulated fleet with --count', () => {
    const settings = parseDeviceOptions(
      ['--count', '1000', '--gateway-host-name', '127.0.0.1:8883', '--sites', '7'],
      {
        IOTHUB_CONNECTION_STRING: 'HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=a2V5',
      },
    );
    expect(settings).toMatchObject({
      kind: 'fleet',
      count: 1000,
      idPrefix: 'sim-',
      sites: 7,
      gatewayHostName: '127.0.0.1:8883',
      connectConcurrency: 50,
      logLevel: 'warn',
    });
  });

  it('needs a service connection string for a fleet', () => {
    expect(() => parseDeviceOptions(['--count', '3'], {})).toThrow(/IOTHUB_CONNECTION_STRING/);
    expect(() => parseDeviceOptions(['--count', '0'], { IOTHUB_CONNECTION_STRING: 'x' })).toThrow(/--count/);
    expect(() =>
      parseDeviceOptions(['--count', '2', '--id-prefix', 'a b'], { IOTHUB_CONNECTION_STRING: 'x' }),
    ).toThrow(/--id-prefix/);
  });

  it('prints usage for --help', () => {
    expect(parseDeviceOptions(['--help'], {})).toBeUndefined();
  });

  it.each([
    [[], {}, /IOTHUB_DEVICE_CONNECTION_STRING/],
    [['--transport', 'amqp'], { IOTHUB_DEVICE_CONNECTION_STRING: CS }, /--transport must be mqtt or mqtt-ws/],
    [['--mode', 'yolo'], { IOTHUB_DEVICE_CONNECTION_STRING: CS }, /--mode must be one of/],
    [
      ['--reboot-seconds', '7200'],
      { IOTHUB_DEVICE_CONNECTION_STRING: CS },
      /--reboot-seconds must be a number/,
    ],
    [['--method-name', 'a b'], { IOTHUB_DEVICE_CONNECTION_STRING: CS }, /not a valid method name/],
  ])('rejects %j with a usage error', (argv, env, message) => {
    let thrown: unknown;
    try {
      parseDeviceOptions(argv, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toMatch(message);
  });
});
