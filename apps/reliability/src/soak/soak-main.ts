#!/usr/bin/env node
import { createAppLogger, runCli } from '@iothub-reboot/app-kit';
import { formatSoakReport, runSoak } from './run-soak';
import { parseSoakOptions, SOAK_USAGE } from './soak-options';

void runCli('soak', async ({ signal }) => {
  const settings = parseSoakOptions(process.argv.slice(2));
  if (!settings) {
    process.stdout.write(`${SOAK_USAGE}\n`);
    return 0;
  }
  // warn by default: at info every device logs each reboot.
  const logger = createAppLogger({ name: 'soak', level: process.env.LOG_LEVEL ?? 'warn' });
  process.stdout.write(`soak: ${settings.devices} devices, reboots for ${settings.durationSeconds} s…\n`);
  const report = await runSoak(settings, { logger, signal });
  process.stdout.write(`${formatSoakReport(report)}\n`);
  return report.failures.length === 0 ? 0 : 1;
});
