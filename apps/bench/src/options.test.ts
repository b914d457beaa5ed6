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

  it('spreads the fleet over 2 processes on a memory store by default, plus a 1,000-device file series', () => {
    expect(parseBenchOptions([], 'o')).toMatchObject({
      fleetProcesses: 2,
      fleetStore: 'memory',
      fileStoreFleet: 1000,
    });
    expect(
      parseBenchOptions(['--fleet-processes', '4', '--fleet-store', 'file', '--file-store-fleet', '0'], 'o'),
    ).toMatchObject({ fleetProcesses: 4, fleetStore: 'file', fileStoreFleet: 0 });
    expect(() => parseBenchOptions(['--fleet-store', 'disk'], 'o')).toThrow(/memory or file/);
    expect(() => parseBenchOptions(['--fleet-processes', '0'], 'o')).toThrow(/--fleet-processes/);
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
      'storm',
      'throughput',
    ]);
    expect(parseBenchOptions(['--scenarios', 'fleet, round-trip'], 'o')?.scenarios).toEqual([
      'round-trip',
      'fleet',
    ]);
    expect(() => parseBenchOptions(['--scenarios', 'fleet,warp'], 'o')).toThrow(/unknown scenario "warp"/);
  });

  it('restarts the hub under the largest fleet size by default, or --storm-devices', () => {
    expect(parseBenchOptions([], 'o')?.stormDevices).toBe(10_000);
    expect(parseBenchOptions(['--fleet', '300,20'], 'o')?.stormDevices).toBe(300);
    expect(parseBenchOptions(['--fleet', ''], 'o')?.stormDevices).toBe(1000);
    expect(parseBenchOptions(['--storm-devices', '50'], 'o')?.stormDevices).toBe(50);
    expect(() => parseBenchOptions(['--storm-devices', '0'], 'o')).toThrow(/--storm-devices/);
  });

  it('returns undefined for --help', () => {
    expect(parseBenchOptions(['--help'], 'o')).toBeUndefined();
  });
});
