import { startTestHub, type TestHub } from '../testing';

// IoT Hub's registry rules for IoT Edge devices (.NET Device.Scope: "auto-generated and immutable for edge
// devices and modifiable in leaf devices to create child/parent relationship"; ParentScopes: the scopes
// of the upper-level Edge devices), driven through azure-iothub's Registry.

/** The Edge fields of a device document (azure-iothub's Device type does not declare them). */
interface EdgeDoc {
  deviceScope?: string;
  parentScopes?: string[];
}
const edgeOf = (device: unknown) => device as EdgeDoc;

async function failure(call: Promise<unknown>): Promise<{ status: number | undefined; body: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { responseBody?: string; response?: { statusCode?: number } };
    return { status: e.response?.statusCode, body: String(e.responseBody ?? '') };
  }
  throw new Error('the call succeeded');
}

describe('IoT Edge devices in the registry', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('keeps capabilities.iotEdge, gives a scope and the $edgeAgent/$edgeHub modules', async () => {
    const { registry } = t.service;
    const { responseBody: edge } = await registry.create({
      deviceId: 'edge-1',
      capabilities: { iotEdge: true },
    });
    expect(edge.capabilities).toEqual({ iotEdge: true });
    expect(edgeOf(edge).deviceScope).toMatch(/^ms-azure-iot-edge:\/\/edge-1-\d{18}$/);
    const { responseBody: read } = await registry.get('edge-1');
    expect(edgeOf(read).deviceScope).toBe(edgeOf(edge).deviceScope);
    const { responseBody: modules } = await registry.getModulesOnDevice('edge-1');
    expect(modules.map((m) => m.moduleId).sort()).toEqual(['$edgeAgent', '$edgeHub']);

    const { responseBody: twin } = await registry.getTwin('edge-1');
    expect(twin).toMatchObject({ capabilities: { iotEdge: true }, deviceScope: edgeOf(edge).deviceScope });
    const edges = await registry
      .createQuery("SELECT deviceId FROM devices WHERE capabilities.iotEdge = true AND deviceId = 'edge-1'")
      .next();
    expect(edges.result).toEqual([{ deviceId: 'edge-1' }]);

    // Immutable: an update that keeps it is fine, one that changes it is refused.
    await registry.update({ ...read, status: 'enabled' });
    const changed = await failure(registry.update({ ...read, deviceScope: 'ms-azure-iot-edge://other-1' }));
    expect(changed.status).toBe(400);
    // A plain device has no scope and iotEdge false.
    const { responseBody: plain } = await registry.create({ deviceId: 'plain-1' });
    expect(plain.capabilities).toEqual({ iotEdge: false });
    expect(plain).not.toHaveProperty('deviceScope');
  });

  it('makes a leaf a child of an Edge device through its deviceScope, and refuses other scopes', async () => {
    const { registry } = t.service;
    const { responseBody: edge } = await registry.create({
      deviceId: 'edge-2',
      capabilities: { iotEdge: true },
    });
    const scope = edgeOf(edge).deviceScope as string;
    const { responseBody: child } = await registry.create({ deviceId: 'child-2', deviceScope: scope });
    expect(child).toMatchObject({ deviceScope: scope, parentScopes: [scope] });
    const { responseBody: childTwin } = await registry.getTwin('child-2');
    expect(childTwin).toMatchObject({ deviceScope: scope, parentScopes: [scope] });

    const unknown = await failure(
      registry.create({ deviceId: 'child-x', deviceScope: 'ms-azure-iot-edge://nobody-1' }),
    );
    expect(unknown.status).toBe(400);
    expect((await failure(registry.get('child-x'))).status).toBe(404);
    // Clearing the scope removes the parent.
    const { responseBody: current } = await registry.get('child-2');
    const { responseBody: orphan } = await registry.update({ ...current, deviceScope: '', parentScopes: [] });
    expect(orphan).not.toHaveProperty('deviceScope');
    expect(orphan).not.toHaveProperty('parentScopes');
  });

  it('nests an Edge device under another through parentScopes', async () => {
    const { registry } = t.service;
    const { responseBody: top } = await registry.create({
      deviceId: 'edge-top',
      capabilities: { iotEdge: true },
    });
    const { responseBody: lower } = await registry.create({
      deviceId: 'edge-lower',
      capabilities: { iotEdge: true },
      parentScopes: [edgeOf(top).deviceScope as string],
    });
    expect(edgeOf(lower).parentScopes).toEqual([edgeOf(top).deviceScope]);
    expect(edgeOf(lower).deviceScope).toMatch(/^ms-azure-iot-edge:\/\/edge-lower-/);
    // A leaf cannot name a non-Edge device's scope, and an Edge device cannot have two parents.
    const twoParents = await failure(
      registry.create({
        deviceId: 'edge-two',
        capabilities: { iotEdge: true },
        parentScopes: [edgeOf(top).deviceScope as string, edgeOf(lower).deviceScope as string],
      }),
    );
    expect(twoParents.status).toBe(400);
  });
});
