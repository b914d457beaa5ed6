/** Counts device-to-cloud messages; IoT Hub routing is out of scope, acceptance is what devices observe. */
export class TelemetryCounter {
  private readonly perDevice = new Map<string, number>();
  private count = 0;

  record(deviceId: string): void {
    this.count += 1;
    this.perDevice.set(deviceId, (this.perDevice.get(deviceId) ?? 0) + 1);
  }

  total(): number {
    return this.count;
  }

  of(deviceId: string): number {
    return this.perDevice.get(deviceId) ?? 0;
  }
}
