/** Thrown when a device connection string cannot be pointed at a gateway. */
export class ConnectionStringShapeError extends Error {
  override readonly name = 'ConnectionStringShapeError';
}

/**
 * Returns `connectionString` with `GatewayHostName=<gateway>` (replacing any present), so the device SDK
 * dials `gateway` (`host:port`, e.g. the fault proxy) while still signing for its `HostName`. Only
 * key-based strings honour a gateway (the SDK ignores it for ready SAS tokens), so those are refused.
 */
export function withGateway(connectionString: string, gateway: string): string {
  const parts = connectionString.split(';').filter((part) => part !== '');
  const keys = parts.map((part) => part.slice(0, part.indexOf('=')));
  if (!keys.includes('HostName') || !keys.includes('DeviceId')) {
    throw new ConnectionStringShapeError('not a device connection string (HostName and DeviceId needed)');
  }
  if (!keys.includes('SharedAccessKey')) {
    throw new ConnectionStringShapeError('only key-based device connection strings can use a gateway');
  }
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(gateway)) {
    throw new ConnectionStringShapeError(`gateway must be host:port, got "${gateway}"`);
  }
  return [...parts.filter((part) => !part.startsWith('GatewayHostName=')), `GatewayHostName=${gateway}`].join(
    ';',
  );
}
