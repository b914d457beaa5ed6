import { createHmac } from 'node:crypto';

/**
 * A device SAS token for `<hostName>/devices/<deviceId>`, signed with the device key: what the raw MQTT
 * floor client sends as its password (the SDK builds the same token internally).
 */
export function deviceSasToken(hostName: string, deviceId: string, key: string, expiresAtS: number): string {
  const resource = encodeURIComponent(`${hostName}/devices/${deviceId}`);
  const signature = createHmac('sha256', Buffer.from(key, 'base64'))
    .update(`${resource}\n${expiresAtS}`)
    .digest('base64');
  return `SharedAccessSignature sr=${resource}&sig=${encodeURIComponent(signature)}&se=${expiresAtS}`;
}
