import { CliError, type CliIo, runCli } from './cli';

function fakeIo() {
  const written: string[] = [];
  const exits: number[] = [];
  const io: CliIo = { stderr: { write: (t: string) => written.push(t) }, exit: (c) => void exits.push(c) };
  return { io, written, exits };
}

describe('runCli', () => {
  it('exits with the code main returns, after running shutdown hooks', async () => {
    const { io, exits } = fakeIo();
    const closed: string[] = [];
    await runCli(
      'app',
      async ({ onShutdown }) => {
        onShutdown(() => void closed.push('first'));
        onShutdown(async () => void closed.push('second'));
        return 3;
      },
      io,
    );
    expect(exits).toEqual([3]);
    expect(closed).toEqual(['second', 'first']);
  });

  it('prints a CliError as one line and exits with its code', async () => {
    const { io, written, exits } = fakeIo();
    await runCli(
      'service',
      async () => {
        throw new CliError('device d1 is offline', { exitCode: 4, code: 'device-offline' });
      },
      io,
    );
    expect(written).toEqual(['service: device d1 is offline\n']);
    expect(exits).toEqual([4]);
  });

  it('redacts secrets from unexpected errors and exits 1', async () => {
    const { io, written, exits } = fakeIo();
    await runCli(
      'device',
      async () => {
        throw new Error('boom with HostName=h;SharedAccessKey=abcdefabcdefabcdef==\n    at stack frame');
      },
      io,
    );
    expect(written).toEqual(['device: unexpected error: boom with HostName=h;SharedAccessKey=***\n']);
    expect(exits).toEqual([1]);
  });

  it('on SIGTERM aborts the signal, runs hooks and exits 0', async () => {
    const { io, exits } = fakeIo();
    let hooked = false;
    let resolveExit: () => void = () => undefined;
    const exited = new Promise<void>((r) => {
      resolveExit = r;
    });
    const wrapped: CliIo = {
      ...io,
      exit: (c) => {
        io.exit(c);
        resolveExit();
      },
    };
    void runCli(
      'device',
      ({ onShutdown, signal }) => {
        onShutdown(() => {
          hooked = true;
        });
        return new Promise<number>((resolve) => {
          signal.addEventListener('abort', () => resolve(0));
          process.emit('SIGTERM', 'SIGTERM');
        });
      },
      wrapped,
    );
    await exited;
    expect(hooked).toBe(true);
    expect(exits).toEqual([0]);
  });
});
