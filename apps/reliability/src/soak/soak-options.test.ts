import { CliError } from '@iothub-reboot/app-kit';
import { parseSoakOptions } from './soak-options';

describe('parseSoakOptions', () => {
  it('has defaults of 100 devices for 60 s', () => {
    expect(parseSoakOptions([])).toEqual({
      devices: 100,
      durationSeconds: 60,
      concurrency: 10,
      maxRssGrowthMb: 64,
    });
  });

  it('reads every flag and never runs more calls than devices', () => {
    expect(
      parseSoakOptions([
        '--devices',
        '4',
        '--duration',
        '2.5',
        '--concurrency',
        '50',
        '--max-rss-growth-mb',
        '8',
      ]),
    ).toEqual({
      devices: 4,
      durationSeconds: 2.5,
      concurrency: 4,
      maxRssGrowthMb: 8,
    });
    expect(parseSoakOptions(['--help'])).toBeUndefined();
  });

  it('refuses bad values and unknown flags with a usage error', () => {
    for (const argv of [['--devices', '0'], ['--duration', 'x'], ['--devices', '1.5'], ['--bogus']]) {
      expect(() => parseSoakOptions(argv)).toThrow(CliError);
    }
  });
});
