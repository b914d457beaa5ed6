import { CliError, createAppLogger, runCli } from '@iothub-reboot/app-kit';

void runCli('device', async ({ onShutdown }) => {
  const logger = createAppLogger({ name: 'device', level: 'info' }); // pretty on a TTY, JSON otherwise
  if (!process.env.IOTHUB_DEVICE_CONNECTION_STRING) {
    throw new CliError('set IOTHUB_DEVICE_CONNECTION_STRING', { exitCode: 2, code: 'config' }); // one line, exit 2
  }
  onShutdown(() => logger.info('bye')); // runs on SIGINT/SIGTERM (then exit 0) or when main returns
  logger.info({ connectionString: process.env.IOTHUB_DEVICE_CONNECTION_STRING }, 'configured'); // logged as ***
  return 0;
});
