import { runRebootCommand } from './reboot-command';

describe('runRebootCommand', () => {
  it('resolves when the command exits 0', async () => {
    await expect(runRebootCommand('exit 0')).resolves.toBeUndefined();
  });

  it('rejects with the exit code and the tail of the output, secrets masked', async () => {
    await expect(
      runRebootCommand('echo "reboot refused: SharedAccessKey=c2VjcmV0" >&2; exit 3'),
    ).rejects.toThrow('the reboot command exited with code 3: reboot refused: SharedAccessKey=***');
  });

  it('rejects a command that is killed by a signal', async () => {
    await expect(runRebootCommand('kill -KILL $$')).rejects.toThrow(/was killed by SIGKILL/);
  });

  it('kills a command that outlives the bound and says so', async () => {
    await expect(runRebootCommand('sleep 30', { timeoutMs: 200 })).rejects.toThrow(
      /did not finish within 0 s/,
    );
  });
});
