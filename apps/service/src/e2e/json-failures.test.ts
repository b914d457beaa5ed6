import { join } from 'node:path';
import { startChildApp } from '@iothub-reboot/app-kit';

const SERVICE_APP = join(__dirname, '..', '..', 'dist', 'main.js');

// `--json` promises one result object on stdout for every outcome, including the ones that end the run
// before a hub is contacted (bad flags, no connection string, an unreadable CA).
describe('service app --json: failures before any call still print one object', () => {
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const app = startChildApp({
      label: '[service]',
      script: SERVICE_APP,
      args,
      env: { IOTHUB_CONNECTION_STRING: '', IOTHUB_DEVICE_ID: '', ...env },
      emit: () => undefined,
    });
    const code = await app.exited;
    const objects = app.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    return { code, objects, text: app.lines.join('\n') };
  };

  it('no connection string: exit 2 and { ok: false, outcome: "usage" }', async () => {
    const { code, objects } = await run(['--json', '--device-id', 'd1']);
    expect(code).toBe(2);
    expect(objects).toEqual([
      expect.objectContaining({
        ok: false,
        outcome: 'usage',
        exitCode: 2,
        error: expect.stringMatching(/connection string/),
      }),
    ]);
  });

  it('an unknown flag: exit 2 and one object', async () => {
    const { code, objects } = await run(['--json', '--no-such-flag']);
    expect(code).toBe(2);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ ok: false, exitCode: 2 });
  });

  it('an unreadable CA: one object, and the key of the connection string is not in it', async () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const { code, objects, text } = await run(
      ['--json', '--device-id', 'd1', '--ca', '/nonexistent/ca.pem'],
      {
        IOTHUB_CONNECTION_STRING: `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${key}`,
      },
    );
    expect(code).toBe(2);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ ok: false, exitCode: 2 });
    expect(text).not.toContain(key);
  });
});
