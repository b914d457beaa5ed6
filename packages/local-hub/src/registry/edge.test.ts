import { HubError } from '../errors';
import { newEdgeScope, resolveEdgeFields } from './edge';

const NOW = new Date('2026-12-01T00:00:00Z');
const EDGE = 'ms-azure-iot-edge://gw-1';
const owners = new Map([[EDGE, 'gw']]);
const ownerOf = (scope: string) => owners.get(scope);
const resolve = (id: string, current: object, input: object) =>
  resolveEdgeFields(id, current, input, ownerOf, NOW);

describe('IoT Edge scopes', () => {
  it('writes the scope as IoT Hub does: the device id and .NET ticks (e.g. Parent1-638316034265745064 in 2023)', () => {
    expect(newEdgeScope('gw', NOW)).toBe('ms-azure-iot-edge://gw-639316800000000000');
  });

  it('gives an Edge device its own scope, kept on update and not changeable', () => {
    const created = resolve('e1', {}, { iotEdge: true });
    expect(created).toEqual({ iotEdge: true, deviceScope: newEdgeScope('e1', NOW) });
    expect(resolve('e1', created, {})).toEqual(created);
    expect(() => resolve('e1', created, { deviceScope: EDGE })).toThrow(HubError);
  });

  it('nests an Edge device under one existing Edge parent only', () => {
    expect(resolve('e2', {}, { iotEdge: true, parentScopes: [EDGE] })).toMatchObject({
      parentScopes: [EDGE],
    });
    expect(() => resolve('e2', {}, { iotEdge: true, parentScopes: [EDGE, EDGE] })).toThrow(/at most one/);
    expect(() => resolve('e2', {}, { iotEdge: true, parentScopes: ['ms-azure-iot-edge://x-1'] })).toThrow(
      /another IoT Edge device/,
    );
  });

  it('makes a leaf a child through its deviceScope, mirrored in parentScopes', () => {
    expect(resolve('leaf', {}, { deviceScope: EDGE })).toEqual({ deviceScope: EDGE, parentScopes: [EDGE] });
    expect(resolve('leaf', { deviceScope: EDGE, parentScopes: [EDGE] }, { deviceScope: null })).toEqual({});
    expect(() => resolve('leaf', {}, { deviceScope: 'ms-azure-iot-edge://nobody-1' })).toThrow(HubError);
    expect(() => resolve('leaf', {}, { parentScopes: [EDGE] })).toThrow(/through its deviceScope/);
    expect(() => resolve('gw', {}, { deviceScope: EDGE })).toThrow(/another IoT Edge device/);
  });

  it('drops the own scope of an Edge device that becomes a leaf', () => {
    const edge = resolve('e1', {}, { iotEdge: true });
    expect(resolve('e1', edge, { iotEdge: false })).toEqual({});
  });
});
