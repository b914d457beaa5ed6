import { CliError } from '@iothub-reboot/app-kit';
import { DEFAULT_PAYLOAD, parseServiceOptions } from './options';

const ENV = {
  IOTHUB_CONNECTION_STRING: 'HostName=h;SharedAccessKeyName=p;SharedAccessKey=a2V5',
  IOTHUB_DEVICE_ID: 'd1',
};

describe('parseServiceOptions', () => {
  it("uses the tutorial's defaults", () => {
    expect(parseServiceOptions([], ENV)).toEqual({
      connectionString: ENV.IOTHUB_CONNECTION_STRING,
      target: { kind: 'device', deviceId: 'd1' },
      strategy: 'fan-out',
      concurrency: 32,
      payload: JSON.parse(DEFAULT_PAYLOAD),
      methodName: 'rebootDevice',
      responseTimeoutSeconds: 60,
      connectTimeoutSeconds: 10,
      pollIntervalMs: 5000,
      maxPolls: 10,
      clockSkewMs: 5000,
      confirmBy: 'auto',
      delaySeconds: 0,
      dryRun: false,
      json: false,
      logLevel: 'warn',
    });
  });

  it('targets a module of the device with --module-id, and only with one device', () => {
    expect(parseServiceOptions(['--module-id', 'm1'], ENV)?.target).toEqual({
      kind: 'device',
      deviceId: 'd1',
      moduleId: 'm1',
    });
    expect(() => parseServiceOptions(['--devices', 'a,b', '--module-id', 'm1'], ENV)).toThrow(
      /--module-id targets one device/,
    );
    expect(() => parseServiceOptions(['--module-id', ' '], ENV)).toThrow(/needs a module id/);
  });

  it('sends the payload as a JSON string with --payload-as-string, as the seed Python service does', () => {
    expect(parseServiceOptions(['--payload-as-string'], ENV)?.payload).toBe(DEFAULT_PAYLOAD);
  });

  it('schedules the reboot with --delay, in the payload (also double-encoded) and in the poll budget', () => {
    expect(parseServiceOptions(['--delay', '30'], ENV)).toMatchObject({
      payload: { method_number: '42', delaySeconds: 30 },
      delaySeconds: 30,
    });
    expect(parseServiceOptions(['--delay', '30', '--payload-as-string'], ENV)?.payload).toBe(
      '{"method_number":"42","delaySeconds":30}',
    );
    expect(() => parseServiceOptions(['--delay', '3601'], ENV)).toThrow(/--delay/);
    expect(() => parseServiceOptions(['--delay', '5', '--payload', '[1]'], ENV)).toThrow(/object payload/);
  });

  it('takes rollout waves, a failure limit and a dry run for fleets only', () => {
    expect(
      parseServiceOptions(
        ['--devices', 'a,b', '--waves', '1%,100%', '--max-failures', '10%', '--dry-run'],
        ENV,
      ),
    ).toMatchObject({
      waves: [
        { kind: 'percent', value: 1 },
        { kind: 'percent', value: 100 },
      ],
      maxFailures: { kind: 'percent', value: 10 },
      dryRun: true,
    });
    expect(() => parseServiceOptions(['--waves', '1,2'], ENV)).toThrow(/--waves is for fleets/);
    expect(() => parseServiceOptions(['--devices', 'a', '--waves', '10%,5%'], ENV)).toThrow(CliError);
    expect(() => parseServiceOptions(['--devices', 'a', '--max-failures', 'many'], ENV)).toThrow(
      /--max-failures must be/,
    );
  });

  it('reads flags over the environment', () => {
    const settings = parseServiceOptions(
      [
        '--device-id',
        'd2',
        '--payload',
        '{"delaySeconds":3}',
        '--poll-interval',
        '0.5',
        '--max-polls',
        '3',
        '--json',
      ],
      ENV,
    );
    expect(settings).toMatchObject({
      target: { kind: 'device', deviceId: 'd2' },
      payload: { delaySeconds: 3 },
      delaySeconds: 3,
      pollIntervalMs: 500,
      maxPolls: 3,
      json: true,
    });
  });

  it('takes a fleet as a list or a query condition, and a job strategy', () => {
    expect(parseServiceOptions(['--devices', 'a, b,,a', '--job'], ENV)).toMatchObject({
      target: { kind: 'devices', deviceIds: ['a', 'b'] },
      strategy: 'job',
    });
    expect(parseServiceOptions(['--where', "tags.site = 'x'", '--concurrency', '8'], ENV)).toMatchObject({
      target: { kind: 'where', condition: "tags.site = 'x'" },
      strategy: 'fan-out',
      concurrency: 8,
    });
  });

  it.each([
    [['--devices', 'a', '--where', 'x'], ENV, /only one of --device-id, --devices and --where/],
    [['--devices', ' , '], ENV, /--devices needs at least one/],
    [['--job'], ENV, /--job is for fleets/],
    [[], { IOTHUB_DEVICE_ID: 'd' }, /IOTHUB_CONNECTION_STRING/],
    [[], { IOTHUB_CONNECTION_STRING: 'x' }, /IOTHUB_DEVICE_ID/],
    [['--payload', '{nope'], ENV, /--payload is not valid JSON/],
    [['--response-timeout', '4'], ENV, /--response-timeout must be a whole number from 5 to 300/],
    [['--connect-timeout', '301'], ENV, /--connect-timeout/],
    [['--max-polls', '1.5'], ENV, /--max-polls must be a whole number/],
    [['--poll-interval', 'soon'], ENV, /--poll-interval/],
    [['--confirm-by', 'sundial'], ENV, /--confirm-by must be/],
  ])('rejects %j with a usage error', (argv, env, message) => {
    let thrown: unknown;
    try {
      parseServiceOptions(argv, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toMatch(message);
  });
});
