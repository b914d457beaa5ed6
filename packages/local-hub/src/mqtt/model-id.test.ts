import { modelIdOf } from './model-id';

describe('modelIdOf', () => {
  it('reads the model id azure-iot-device-mqtt puts after the api-version', () => {
    const username =
      'localhost/d1/?api-version=2021-04-12&model-id=dtmi:com:example:Thermostat;1&DeviceClientType=azure-iot-device%2F1.18.4';
    expect(modelIdOf(username)).toBe('dtmi:com:example:Thermostat;1');
  });

  it('reads it from a module username too', () => {
    expect(modelIdOf('localhost/d1/m1/?api-version=2021-04-12&model-id=dtmi:a:b;2')).toBe('dtmi:a:b;2');
  });

  it.each([
    ['no username', undefined],
    ['no query', 'localhost/d1/'],
    ['no model id', 'localhost/d1/?api-version=2021-04-12&DeviceClientType=x'],
    ['not a DTMI', 'localhost/d1/?model-id=thermostat'],
    ['no version', 'localhost/d1/?model-id=dtmi:com:example'],
    ['a segment ending in _', 'localhost/d1/?model-id=dtmi:com_:x;1'],
    ['too long', `localhost/d1/?model-id=dtmi:${'a'.repeat(600)};1`],
  ])('gives undefined for %s', (_name, username) => {
    expect(modelIdOf(username)).toBeUndefined();
  });
});
