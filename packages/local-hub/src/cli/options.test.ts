import { CliError } from '@iothub-reboot/app-kit';
import { parseCommandLine } from './options';

describe('parseCommandLine', () => {
  it('starts with defaults left to the library', () => {
    expect(parseCommandLine([], {})).toEqual({
      kind: 'start',
      settings: { inMemory: false, logLevel: 'info' },
    });
  });

  it('reads flags, and environment variables where no flag is given', () => {
    const command = parseCommandLine(
      ['start', '--mqtt-port', '0', '--in-memory', '--host-name', 'hub.local'],
      {
        LOCAL_HUB_HTTPS_PORT: '9443',
        LOCAL_HUB_MQTT_PORT: '1',
        LOCAL_HUB_OWNER_KEY: 'a2V5',
        LOG_LEVEL: 'debug',
      },
    );
    expect(command).toEqual({
      kind: 'start',
      settings: {
        hostName: 'hub.local',
        mqttPort: 0,
        httpsPort: 9443,
        inMemory: true,
        ownerKey: 'a2V5',
        logLevel: 'debug',
      },
    });
  });

  it('takes --quota (or LOCAL_HUB_QUOTA) as a tier with units', () => {
    expect(parseCommandLine(['--quota', 's2:3'], {})).toMatchObject({ settings: { quota: 'S2:3' } });
    expect(parseCommandLine([], { LOCAL_HUB_QUOTA: 'S1' })).toMatchObject({ settings: { quota: 'S1:1' } });
  });

  it('answers --version and --help before anything else', () => {
    expect(parseCommandLine(['--version'], {})).toEqual({ kind: 'version' });
    expect(parseCommandLine(['device', '--help'], {})).toEqual({ kind: 'help' });
  });

  it('parses the device commands', () => {
    expect(parseCommandLine(['device', 'add', 'sensor-1', '--data-dir', '/tmp/h'], {})).toEqual({
      kind: 'device',
      action: 'add',
      deviceId: 'sensor-1',
      dataDir: '/tmp/h',
    });
    expect(parseCommandLine(['device', 'list'], { LOCAL_HUB_DATA_DIR: 'x' })).toEqual({
      kind: 'device',
      action: 'list',
      dataDir: 'x',
    });
  });

  it('reads the web view flag: a port, or off', () => {
    const view = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const command = parseCommandLine(argv, env);
      return command.kind === 'start' ? command.settings.view : 'not start';
    };
    expect(view([])).toBeUndefined();
    expect(view(['--view', '0'])).toBe(0);
    expect(view(['--view', '9090'])).toBe(9090);
    expect(view(['--view', 'off'])).toBe(false);
    expect(view([], { LOCAL_HUB_VIEW: 'off' })).toBe(false);
    expect(view(['--view', '8089'], { LOCAL_HUB_VIEW: 'off' })).toBe(8089);
  });

  it.each([
    [['--view', 'on'], /--view must be a whole number/],
    [['--mqtt-port', 'eighty'], /--mqtt-port must be a whole number from 0 to 65535/],
    [['--https-port', '70000'], /--https-port must be a whole number/],
    [['--nope'], /^unknown option --nope/],
    [['reboot'], /unknown command "reboot"/],
    [['device'], /device needs add, list, show or remove/],
    [['device', 'add'], /device add needs a device id/],
    [['device', 'list', 'x'], /takes no device id/],
    [['--log-level', 'loud'], /unknown log level/],
    [['--quota', 'S4'], /quota must be S1, S2 or S3/],
    [['--quota', 'S1:0'], /quota units must be 1 to 200/],
    [
      ['device', 'add', 'd', '--mqtt-port', '1'],
      /--mqtt-port is a flag of start; device commands find the hub/,
    ],
    [['device', 'list', '--in-memory'], /--in-memory is a flag of start/],
    [['--version', '--nope'], /unknown option --nope \(see --help\)$/],
    [['--reboot-seconds', '-1'], /unknown option --reboot-seconds/],
    [
      ['--mqtt-port', '-1'],
      /--mqtt-port needs a value \(for one starting with "-", write --mqtt-port=<value>\)/,
    ],
  ])('rejects %j with a usage error', (argv, message) => {
    let thrown: unknown;
    try {
      parseCommandLine(argv, {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toMatch(message);
  });
});
