import type { Registry } from 'azure-iothub';

/** The reported properties of a device's twin, read through the service SDK. */
export async function reportedOf(registry: Registry, deviceId: string): Promise<Record<string, unknown>> {
  const { responseBody } = await registry.getTwin(deviceId);
  return responseBody.properties.reported as unknown as Record<string, unknown>;
}

/** Acknowledged patches whose keys or values are missing from `reported`. */
export function missingFrom(
  reported: Record<string, unknown>,
  acknowledged: readonly Record<string, unknown>[],
): string[] {
  return acknowledged.flatMap((patch) =>
    Object.entries(patch)
      .filter(([key, value]) => reported[key] !== value)
      .map(([key]) => key),
  );
}
