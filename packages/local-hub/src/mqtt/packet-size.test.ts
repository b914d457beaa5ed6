import fc from 'fast-check';
import { MqttPacketSizeMeter } from './packet-size';

/** An MQTT packet with a body of `size` bytes. */
function packet(size: number): Buffer {
  const length: number[] = [];
  let x = size;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    length.push(byte);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x30]), Buffer.from(length), Buffer.alloc(size, 1)]);
}

describe('MqttPacketSizeMeter', () => {
  it('accepts packets up to the limit, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 50 }),
        (sizes, chunkSize) => {
          const meter = new MqttPacketSizeMeter(1000);
          const stream = Buffer.concat(sizes.map(packet));
          for (let i = 0; i < stream.length; i += chunkSize) {
            expect(meter.push(stream.subarray(i, i + chunkSize))).toBe(true);
          }
        },
      ),
    );
  });

  it('refuses a packet announcing more than the limit before its body arrives', () => {
    const meter = new MqttPacketSizeMeter(1000);
    expect(meter.push(packet(10))).toBe(true);
    expect(meter.push(packet(1001).subarray(0, 3))).toBe(false);
  });

  it('refuses a remaining-length field longer than four bytes', () => {
    expect(
      new MqttPacketSizeMeter(Number.MAX_SAFE_INTEGER).push(
        Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]),
      ),
    ).toBe(false);
  });
});
