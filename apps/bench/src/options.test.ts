import { CliError } from '@iothub-reboot/app-kit';
import { parseBenchOptions } from './options';

describe('parseBenchOptions', () => {
  it('has defaults that fit the five-minute budget', () => {
    expect(parseBenchOptions([], '/r/latest.json')).toMatchObject({
      warmup: 50,
      iterations: 500,
      fleetSizes: [100, 1000, 10_000],
      inFlight: 64,
      throughputDevices: 100,
      out: '/r/latest.json',
    });
  });

  it('reads fleet sizes and an empty list', () => {
    expect(parseBenchOptions(['--fleet', '10, 20'], 'o')?.fleetSizes).toEqual([10, 20]);
    expect(parseBenchOptions(['--fleet', ''], 'o')?.fleetSizes).toEqual([]);
  });

  it('refuses bad numbers, unknown flags and more in flight than devices', () => {
    expect(() => parseBenchOptions(['--iterations', '0'], 'o')).toThrow(CliError);
    expect(() => parseBenchOptions(['--fleet', '10,x'], 'o')).toThrow(/--fleet/);
    expect(() => parseBenchOptions(['--nope'], 'o')).toThrow(CliError);
    expect(() => parseBenchOptions(['--in-flight', '20', '--throughput-devices', '10'], 'o')).toThrow(
      /in-flight/,
    );
  });

  it('selects scenarios, in their running order, and refuses unknown ones', () => {
    expect(parseBenchOptions([], 'o')?.scenarios).toEqual([
      'round-trip',
      'confirmation',
      'fleet',
      'throughput',
    ]);
    expect(parseBenchOptions(['--scenarios', 'fleet, round-trip'], 'o')?.scenarios).toEqual([
      'round-trip',
      'fleet',
    ]);
    expect(() => parseBenchOptions(['--scenarios', 'fleet,warp'], 'o')).toThrow(/unknown scenario "warp"/);
  });

  it('returns undefined for --help', () => {
    expect(parseBenchOptions(['--help'], 'o')).toBeUndefined();
  });
});
