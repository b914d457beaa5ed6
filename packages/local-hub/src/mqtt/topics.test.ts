import fc from 'fast-check';
import {
  desiredPatchTopic,
  isAllowedSubscription,
  isDeliverableTo,
  methodRequestTopic,
  parseDevicePublish,
  twinResponseTopic,
} from './topics';

describe('device topics', () => {
  it.each([
    ['$iothub/twin/GET/?$rid=1', { kind: 'twin-get', rid: '1' }],
    ['$iothub/twin/PATCH/properties/reported/?$rid=abc', { kind: 'reported-patch', rid: 'abc' }],
    ['$iothub/methods/res/200/?$rid=f', { kind: 'method-response', rid: 'f', status: 200 }],
    ['devices/d1/messages/events/', { kind: 'telemetry' }],
    ['devices/d1/messages/events/%24.ct=application%2Fjson', { kind: 'telemetry' }],
    ['devices/d1/messages/events', { kind: 'telemetry' }],
  ])('parses %s', (topic, expected) => {
    expect(parseDevicePublish('d1', topic)).toEqual(expected);
  });

  it.each([
    'devices/d2/messages/events/',
    '$iothub/twin/GET/',
    '$iothub/twin/GET/?$rid=',
    '$iothub/methods/res/abc/?$rid=1',
    '$iothub/methods/POST/reboot/?$rid=1',
    '$iothub/twin/PATCH/properties/desired/?$rid=1',
    'anything',
    '',
  ])('refuses %j', (topic) => {
    expect(parseDevicePublish('d1', topic)).toBeUndefined();
  });

  it('allows only the SDK filters and the device’s own cloud-to-device topic', () => {
    expect(isAllowedSubscription('d1', '$iothub/methods/POST/#')).toBe(true);
    expect(isAllowedSubscription('d1', '$iothub/twin/res/#')).toBe(true);
    expect(isAllowedSubscription('d1', '$iothub/twin/PATCH/properties/desired/#')).toBe(true);
    expect(isAllowedSubscription('d1', 'devices/d1/messages/devicebound/#')).toBe(true);
    for (const filter of [
      '#',
      '$iothub/#',
      'devices/d2/messages/devicebound/#',
      'devices/+/messages/devicebound/#',
    ]) {
      expect(isAllowedSubscription('d1', filter)).toBe(false);
    }
  });

  it('delivers hub topics and the device’s own topics only', () => {
    expect(isDeliverableTo('d1', twinResponseTopic(200, 'r'))).toBe(true);
    expect(isDeliverableTo('d1', methodRequestTopic('m', '1'))).toBe(true);
    expect(isDeliverableTo('d1', desiredPatchTopic(3))).toBe(true);
    expect(isDeliverableTo('d1', 'devices/d2/messages/devicebound/x')).toBe(false);
    expect(isDeliverableTo('d1', 'devices/d2/messages/events/')).toBe(false);
    expect(isDeliverableTo('d1', '$SYS/broker/new/clients')).toBe(false);
  });

  it('builds the response topics the SDK parses', () => {
    expect(twinResponseTopic(204, 'a-b', 7)).toBe('$iothub/twin/res/204/?$rid=a-b&$version=7');
    expect(methodRequestTopic('reboot', '1f')).toBe('$iothub/methods/POST/reboot/?$rid=1f');
    expect(desiredPatchTopic(4)).toBe('$iothub/twin/PATCH/properties/desired/?$version=4');
  });

  // The plain-rid shortcut must write exactly what the URLSearchParams encoding writes, for any rid.
  it('encodes any rid as URLSearchParams does, `$` kept literal', () => {
    const reference = (status: number, rid: string, version?: number) => {
      const query = new URLSearchParams({ $rid: rid });
      if (version !== undefined) query.set('$version', String(version));
      return `$iothub/twin/res/${status}/?${query.toString().replace(/%24/g, '$')}`;
    };
    const rid = fc.oneof(
      fc.string(),
      fc.uuid(),
      fc.nat().map(String),
      fc.string({
        unit: fc.constantFrom('a', 'Z', '0', '*', '-', '.', '_', ' ', '+', '&', '=', '~', '$', '%'),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(200, 204, 429),
        rid,
        fc.option(fc.nat(), { nil: undefined }),
        (status, r, v) => {
          expect(twinResponseTopic(status, r, v)).toBe(reference(status, r, v));
        },
      ),
      { numRuns: 500 },
    );
  });
});
