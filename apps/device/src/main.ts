#!/usr/bin/env node
import { createAppLogger, runCli } from '@iothub-reboot/app-kit';
import { runDevice } from './device-app';
import { parseDeviceOptions, USAGE } from './options';

void runCli('device', async (context) => {
  const settings = parseDeviceOptions(process.argv.slice(2), process.env);
  if (settings === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const logger = createAppLogger({ name: 'device', level: settings.logLevel });
  return runDevice(settings, context, logger);
});
