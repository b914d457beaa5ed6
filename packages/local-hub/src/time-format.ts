/**
 * How IoT Hub writes a time that was never set (a device never connected, a status never changed): .NET's
 * `DateTime.MinValue`, not the Unix epoch. Code written for IoT Hub compares against this value.
 */
export const NEVER_SET_TIME = '0001-01-01T00:00:00Z';

// .NET ticks (100 ns) from 0001-01-01 to the Unix epoch.
const EPOCH_TICKS = 621_355_968_000_000_000n;

/**
 * A device identity's `generationId` as IoT Hub forms it: a decimal number of .NET ticks at creation
 * (18 digits, e.g. `638683264123456789`), so a device deleted and created again under the same id gets
 * another one. The sub-millisecond digits are random, so identities created in the same millisecond differ.
 */
export function newGenerationId(now: Date, random: () => number = Math.random): string {
  const ticks = EPOCH_TICKS + BigInt(now.getTime()) * 10_000n + BigInt(Math.floor(random() * 10_000));
  return ticks.toString();
}
