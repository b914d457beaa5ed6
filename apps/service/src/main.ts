#!/usr/bin/env node
import { createAppLogger, runCli } from '@iothub-reboot/app-kit';
import { parseServiceOptions, USAGE } from './options';
import { runService } from './service-app';

void runCli('service', async (context) => {
  const settings = parseServiceOptions(process.argv.slice(2), process.env);
  if (settings === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Logs go to stderr: stdout carries the result (prose or --json).
  const logger = createAppLogger({ name: 'service', level: settings.logLevel, destination: process.stderr });
  return runService(settings, context, logger, { stdout: process.stdout, stderr: process.stderr });
});
