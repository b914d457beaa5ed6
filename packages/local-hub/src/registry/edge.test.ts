import { HubError } from '../errors';
import {
  type EdgeFields,
  type EdgeHierarchy,
  MAX_EDGE_GENERATIONS,
  newEdgeScope,
  resolveEdgeFields,
} from './edge';

const GENERATION = '639316800000001234';
const EDGE = 'ms-azure-iot-edge://gw-1';

/** A hierarchy of `{ id: parentId }` Edge devices, each with the scope `ms-azure-iot-edge://<id>-1`. */
function hierarchyOf(parents: Record<string, string | undefined>): EdgeHierarchy {
  const scopeOf = (id: string) => `ms-azure-iot-edge://${id}-1`;
  const below = (id: string): number =>
    Math.max(
      0,
      ...Object.keys(parents)
        .filter((child) => parents[child] === id)
        .map((c) => 1 + below(c)),
    );
  return {
    ownerOf: (scope) => Object.keys(parents).find((id) => scopeOf(id) === scope),
    parentOf: (id) => parents[id],
    generationsBelow: below,
  };
}

const flat = hierarchyOf({ gw: undefined });
const resolve = (id: string, current: EdgeFields, input: object, hierarchy = flat) =>
  resolveEdgeFields(id, current, input, hierarchy, GENERATION);

describe('IoT Edge scopes', () => {
  it('writes the scope as IoT Hub does: the device id and its generation id (Device.Scope)', () => {
    expect(newEdgeScope('gw', GENERATION)).toBe(`ms-azure-iot-edge://gw-${GENERATION}`);
  });

  it('gives an Edge device its own scope and empty parentScopes, kept on update and not changeable', () => {
    const created = resolve('e1', {}, { iotEdge: true });
    expect(created).toEqual({ iotEdge: true, deviceScope: newEdgeScope('e1', GENERATION), parentScopes: [] });
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

  it("lets a body that sets deviceScope carry the old parentScopes along, as the az CLI's children commands do", () => {
    const child = { deviceScope: EDGE, parentScopes: [EDGE] };
    // `children remove`: deviceScope "" with the parentScopes as read.
    expect(resolve('leaf', child, { deviceScope: '', parentScopes: [EDGE] })).toEqual({});
    // `parent set --force`: the new deviceScope with the old parentScopes.
    const other = hierarchyOf({ gw: undefined, gw2: undefined });
    const moved = resolve(
      'leaf',
      child,
      { deviceScope: 'ms-azure-iot-edge://gw2-1', parentScopes: [EDGE] },
      other,
    );
    expect(moved).toEqual({
      deviceScope: 'ms-azure-iot-edge://gw2-1',
      parentScopes: ['ms-azure-iot-edge://gw2-1'],
    });
  });

  it('drops the own scope of an Edge device that becomes a leaf', () => {
    const edge = resolve('e1', {}, { iotEdge: true });
    expect(resolve('e1', edge, { iotEdge: false })).toEqual({});
    expect(resolve('e1', edge, { iotEdge: false, deviceScope: edge.deviceScope })).toEqual({});
  });
});

describe('IoT Edge hierarchy depth (five generations below the top device)', () => {
  // e0 is the top device; e1 … e5 are its five generations of Edge children.
  const chain = hierarchyOf({ e0: undefined, e1: 'e0', e2: 'e1', e3: 'e2', e4: 'e3', e5: 'e4' });
  const scope = (id: string) => `ms-azure-iot-edge://${id}-1`;

  it('accepts children down to the fifth generation, IoT Edge or not', () => {
    expect(MAX_EDGE_GENERATIONS).toBe(5);
    expect(resolve('leaf5', {}, { deviceScope: scope('e4') }, chain)).toMatchObject({
      deviceScope: scope('e4'),
    });
    expect(resolve('edge5', {}, { iotEdge: true, parentScopes: [scope('e4')] }, chain)).toMatchObject({
      parentScopes: [scope('e4')],
    });
  });

  it('refuses any child of a fifth-generation device', () => {
    expect(() => resolve('leaf6', {}, { deviceScope: scope('e5') }, chain)).toThrow(/at most 5 generations/);
    expect(() => resolve('edge6', {}, { iotEdge: true, parentScopes: [scope('e5')] }, chain)).toThrow(
      /at most 5 generations/,
    );
  });

  it('counts the generations below an Edge device that moves under a new parent', () => {
    // t0 has two generations below it (t1, t2): under e2 (generation 2) t2 would be generation 5: fine;
    // under e3 it would be generation 6.
    const two = hierarchyOf({
      e0: undefined,
      e1: 'e0',
      e2: 'e1',
      e3: 'e2',
      t0: undefined,
      t1: 't0',
      t2: 't1',
    });
    const top = { iotEdge: true as const, deviceScope: scope('t0'), parentScopes: [] };
    expect(resolve('t0', top, { parentScopes: [scope('e2')] }, two)).toMatchObject({
      parentScopes: [scope('e2')],
    });
    expect(() => resolve('t0', top, { parentScopes: [scope('e3')] }, two)).toThrow(/at most 5 generations/);
  });

  it('refuses to nest an Edge device under its own descendant', () => {
    const e1 = { iotEdge: true as const, deviceScope: scope('e1'), parentScopes: [scope('e0')] };
    expect(() => resolve('e1', e1, { parentScopes: [scope('e3')] }, chain)).toThrow(/own descendant/);
  });

  it('keeps an unchanged parent without checking again', () => {
    const e5 = { iotEdge: true as const, deviceScope: scope('e5'), parentScopes: [scope('e4')] };
    expect(resolve('e5', e5, { parentScopes: [scope('e4')] }, chain)).toEqual(e5);
  });
});
