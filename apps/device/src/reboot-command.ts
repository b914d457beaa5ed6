import { spawn } from 'node:child_process';
import { redactSecrets } from '@iothub-reboot/contracts';

/** How long a reboot command may run before it counts as failed (and is killed). */
export const REBOOT_COMMAND_TIMEOUT_MS = 120_000;

/** The last characters of the command's output kept for the failure reason. */
const OUTPUT_TAIL = 300;

/**
 * Runs the `--reboot-command` through `/bin/sh -c` (so `systemctl reboot`, a script or a pipeline all
 * work). Resolves when it exits 0: the restart is then under way. Rejects when it exits non-zero, is
 * killed by a signal, cannot start, or outlives `timeoutMs` (then it is killed); the message ends with
 * the tail of its output, secrets masked, since it becomes the reason reported in the twin.
 */
export function runRebootCommand(
  command: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? REBOOT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // Its own process group: a timeout kills the whole command (a shell's children keep the output
    // pipes open otherwise), and a command that ends this process goes on without it.
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: true,
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already; the shell itself may not be
      }
    }, timeoutMs);
    const fail = (what: string) => {
      const tail = redactSecrets(output.trim().replace(/\s+/g, ' '));
      reject(new Error(`the reboot command ${what}${tail ? `: ${tail}` : ''}`));
    };
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(`could not start (${err.message})`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return fail(`did not finish within ${Math.round(timeoutMs / 1000)} s`);
      if (code === 0) return resolve();
      fail(signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
  });
}
