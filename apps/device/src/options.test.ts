import { CliError } from '@iothub-reboot/app-kit';
import { parseDeviceOptions } from './options';

const CS = 'HostName=h;DeviceId=d;SharedAccessKey=a2V5';

describe('parseDeviceOptions', () => {
  it('uses the tutorial defaults', () => {
    expect(parseDeviceOptions([], { IOTHUB_DEVICE_CONNECTION_STRING: CS })).toEqual({
      connectionString: CS,
      transport: 'mqtt',
      rebootSeconds: 20,
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
      connectionString: CS,
      caFile: 'ca.pem',
      transport: 'mqtt-ws',
      rebootSeconds: 0.5,
      methodName: 'reboot',
      mode: 'respond-then-reboot',
      logLevel: 'debug',
      stateDir: '/var/lib/x',
    });
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
