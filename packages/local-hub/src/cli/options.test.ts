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

  it('reads the X.509 commands', () => {
    expect(parseCommandLine(['cert', 'ca', 'root', '--out', 'certs'], {})).toEqual({
      kind: 'cert',
      action: 'ca',
      name: 'root',
      out: 'certs',
    });
    expect(parseCommandLine(['cert', 'device', 'd1', '--ca', 'root'], { LOCAL_HUB_DATA_DIR: 'x' })).toEqual({
      kind: 'cert',
      action: 'device',
      deviceId: 'd1',
      ca: 'root',
      dataDir: 'x',
    });
    expect(parseCommandLine(['ca', 'add', 'root', 'root.pem', '--key', 'root.key.pem'], {})).toEqual({
      kind: 'ca',
      action: 'add',
      name: 'root',
      certFile: 'root.pem',
      keyFile: 'root.key.pem',
      verified: false,
    });
    expect(parseCommandLine(['ca', 'list'], {})).toEqual({ kind: 'ca', action: 'list' });
    expect(parseCommandLine(['ca', 'remove', 'root'], {})).toEqual({
      kind: 'ca',
      action: 'remove',
      name: 'root',
    });
    expect(parseCommandLine(['device', 'add', 'd1', '--x509-cert', 'd1.pem'], {})).toEqual({
      kind: 'device',
      action: 'add',
      deviceId: 'd1',
      x509: { type: 'selfSigned', certFile: 'd1.pem' },
    });
    expect(parseCommandLine(['device', 'add', 'd1', '--x509-ca'], {})).toMatchObject({
      x509: { type: 'certificateAuthority' },
    });
  });

  it.each([
    [['cert'], /cert needs ca or device/],
    [['cert', 'ca', 'r', '--ca', 'x'], /--ca goes with/],
    [['ca', 'add', 'r'], /needs the certificate file/],
    [['ca', 'add', 'r', 'f', '--key', 'k', '--verified'], /not both/],
    [['ca', 'list', 'x'], /no name/],
    [['ca', 'drop', 'x'], /ca needs add, list or remove/],
    [['device', 'show', 'd', '--x509-ca'], /go with "device add"/],
    // A flag of another command would be ignored, so it is refused and its command named.
    [['cert', 'ca', 'r', '--mqtt-port', '1'], /--mqtt-port is a flag of start \(see --help\)$/],
    [
      ['ca', 'list', '--bind', '::1'],
      /--bind is a flag of start; ca commands find the hub through --data-dir/,
    ],
    [['ca', 'list', '--out', 'x'], /--out is a flag of cert \(see --help\)$/],
    [['ca', 'list', '--x509-ca'], /--x509-ca is a flag of device \(see --help\)$/],
    [['device', 'add', 'd', '--key', 'k'], /--key is a flag of ca \(see --help\)$/],
    [['start', '--verified'], /--verified is a flag of ca \(see --help\)$/],
    [['--ca', 'root'], /--ca is a flag of cert \(see --help\)$/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(CliError);
    expect(() => parseCommandLine(argv, {})).toThrow(message);
  });
});
