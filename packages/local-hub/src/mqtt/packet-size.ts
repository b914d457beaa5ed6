/**
 * IoT Hub refuses device messages over 256 KB; we allow that plus room for the topic and properties. aedes
 * has no packet size limit of its own and would buffer up to MQTT's 256 MB maximum.
 */
export const MAX_MQTT_PACKET_BYTES = 264 * 1024;

/**
 * Follows MQTT framing (fixed header byte, variable-length "remaining length", body) across arbitrary chunk
 * boundaries, so the hub can drop a connection as soon as a packet *announces* an oversized body, before it
 * is buffered. Pure: feed it the bytes the broker reads.
 */
export class MqttPacketSizeMeter {
  private phase: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly limit: number = MAX_MQTT_PACKET_BYTES) {}

  /** Returns false once a packet is over the limit or its length field is malformed (MQTT-2.2.3). */
  push(chunk: Buffer): boolean {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.phase === 'type') {
        offset += 1;
        this.phase = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.phase === 'length') {
        const byte = chunk[offset] as number;
        offset += 1;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        if (this.length > this.limit) return false;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return false;
        } else {
          this.remaining = this.length;
          this.phase = this.remaining === 0 ? 'type' : 'body';
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - offset);
        offset += take;
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'type';
      }
    }
    return true;
  }
}
