import { parseArgs } from 'node:util';
import { numberFlag, withUsageErrors } from '@iothub-reboot/app-kit';

/** What one soak run does. */
export interface SoakSettings {
  devices: number;
  durationSeconds: number;
  /** Reboot calls in flight at once (each device has at most one). */
  concurrency: number;
  /** Hub RSS growth from start to end above which the run fails. */
  maxRssGrowthMb: number;
}

export const SOAK_USAGE = `Usage: pnpm soak [options]

Runs a local hub in its own process, N simulated devices (real SDK clients with the reboot handler) and
continuous reboots for a while; prints operations, failures and the hub's RSS. Exits 1 on any
unexpected failure or when the hub's RSS grew past the bound.

Options:
  --devices <n>             simulated devices (default 100)
  --duration <s>            seconds of continuous reboots (default 60)
  --concurrency <n>         reboot calls in flight at once (default 10)
  --max-rss-growth-mb <mb>  allowed hub RSS growth, start to end (default 64)`;

/** Parses the soak's flags; `undefined` means "print the usage". Throws a usage `CliError` on bad input. */
export function parseSoakOptions(argv: readonly string[]): SoakSettings | undefined {
  const { values } = withUsageErrors(() =>
    parseArgs({
      args: [...argv],
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        devices: { type: 'string' },
        duration: { type: 'string' },
        concurrency: { type: 'string' },
        'max-rss-growth-mb': { type: 'string' },
      },
    }),
  );
  if (values.help) return undefined;
  const devices = numberFlag('--devices', values.devices, 100, { min: 1, max: 2_000, integer: true });
  return {
    devices,
    durationSeconds: numberFlag('--duration', values.duration, 60, { min: 1, max: 86_400 }),
    concurrency: Math.min(
      devices,
      numberFlag('--concurrency', values.concurrency, 10, { min: 1, max: 500, integer: true }),
    ),
    maxRssGrowthMb: numberFlag('--max-rss-growth-mb', values['max-rss-growth-mb'], 64, {
      min: 0,
      max: 100_000,
    }),
  };
}
