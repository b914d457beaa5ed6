#!/usr/bin/env node
import { CliError, createAppLogger, runCli } from '@iothub-reboot/app-kit';
import { redactSecrets } from '@iothub-reboot/contracts';
import { parseServiceOptions, USAGE } from './options';
import { createStatusLine } from './progress';
import { runService } from './service-app';

const argv = process.argv.slice(2);
// Known before parsing succeeds, so that a bad flag or a missing connection string still gives a script
// its one JSON object.
const json = argv.some((arg) => arg === '--json' || arg.startsWith('--json='));

void runCli('service', async (context) => {
  try {
    const settings = parseServiceOptions(argv, process.env);
    if (settings === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    // Logs go to stderr (stdout carries the result, prose or --json), through the status line that also
    // draws the progress there, so a log line never shares a line with the progress text.
    const status = createStatusLine(process.stderr);
    const logger = createAppLogger({
      name: 'service',
      level: settings.logLevel,
      destination: status.logs,
    });
    return await runService(settings, context, logger, { stdout: process.stdout, status });
  } catch (err) {
    // runService prints the JSON of the failures it knows; this is every other way the run can end.
    if (json) process.stdout.write(`${JSON.stringify(failureObject(err))}\n`);
    throw err; // runCli prints the one-line message on stderr and sets the exit code
  }
});

function failureObject(err: unknown) {
  const message = redactSecrets((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '');
  return err instanceof CliError
    ? { ok: false, outcome: err.code, error: message, exitCode: err.exitCode }
    : { ok: false, outcome: 'unexpected', error: message, exitCode: 1 };
}
