import { MemoryBackend } from '../persistence/backend';
import { startTestHub, type TestHub } from '../testing';

// IoT Hub's registry rules for IoT Edge devices (.NET Device.Scope: "auto-generated and immutable for edge
// devices and modifiable in leaf devices to create child/parent relationship"; ParentScopes: the scopes
// of the upper-level Edge devices; "How an IoT Edge device can be used as a gateway": up to five
// generations of children below the top device), driven through azure-iothub's Registry.

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
    // `<deviceId>-<generationId>` (Microsoft.Azure.Devices Device.Scope); a top Edge device has
    // parentScopes [] (azure-iot-cli-extension's live test checks exactly that).
    expect(edgeOf(edge).deviceScope).toBe(`ms-azure-iot-edge://edge-1-${edge.generationId}`);
    expect(edgeOf(edge).parentScopes).toEqual([]);
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

  it('nests five generations below the top device and refuses a sixth, or a cycle', async () => {
    const { registry } = t.service;
    const scopes: string[] = [];
    for (let n = 0; n <= 5; n += 1) {
      const { responseBody } = await registry.create({
        deviceId: `gen-${n}`,
        capabilities: { iotEdge: true },
        ...(n === 0 ? {} : { parentScopes: [scopes[n - 1] as string] }),
      });
      scopes.push(edgeOf(responseBody).deviceScope as string);
    }
    // The fifth generation's Edge device (gen-5) can have no children, IoT Edge or otherwise.
    const leaf6 = await failure(registry.create({ deviceId: 'gen-leaf-6', deviceScope: scopes[5] }));
    expect(leaf6.status).toBe(400);
    expect(leaf6.body).toContain('ErrorCode:ArgumentInvalid');
    const edge6 = await failure(
      registry.create({
        deviceId: 'gen-edge-6',
        capabilities: { iotEdge: true },
        parentScopes: [scopes[5] as string],
      }),
    );
    expect(edge6.status).toBe(400);
    await expect(registry.create({ deviceId: 'gen-leaf-5', deviceScope: scopes[4] })).resolves.toBeDefined();
    // Nesting the top device under one of its descendants would be a cycle.
    const { responseBody: top } = await registry.get('gen-0');
    const cycle = await failure(registry.update({ ...top, parentScopes: [scopes[2] as string] }));
    expect(cycle.status).toBe(400);
  });

  it("moves and frees children the way the az CLI's parent/children commands send them", async () => {
    const { registry } = t.service;
    const { responseBody: a } = await registry.create({ deviceId: 'cli-a', capabilities: { iotEdge: true } });
    const { responseBody: b } = await registry.create({ deviceId: 'cli-b', capabilities: { iotEdge: true } });
    const [scopeA, scopeB] = [edgeOf(a).deviceScope as string, edgeOf(b).deviceScope as string];
    await registry.create({ deviceId: 'cli-child', deviceScope: scopeA });
    // `parent set --force`: the device as read (parentScopes [A]) with deviceScope B.
    const { responseBody: read } = await registry.get('cli-child');
    const { responseBody: moved } = await registry.update({ ...read, deviceScope: scopeB });
    expect(moved).toMatchObject({ deviceScope: scopeB, parentScopes: [scopeB] });
    // `children remove`: deviceScope "" with the parentScopes as read.
    const { responseBody: freed } = await registry.update({ ...moved, deviceScope: '' });
    expect(freed).not.toHaveProperty('deviceScope');
    expect(freed).not.toHaveProperty('parentScopes');
  });
});

describe('deleting an IoT Edge parent', () => {
  it("clears its children's scopes durably, across a restart, and leaves their connections alone", async () => {
    const backend = new MemoryBackend();
    let t = await startTestHub({ storage: backend });
    try {
      const { registry } = t.service;
      const { responseBody: parent } = await registry.create({
        deviceId: 'parent',
        capabilities: { iotEdge: true },
      });
      const scope = edgeOf(parent).deviceScope as string;
      const { responseBody: leafBefore } = await registry.create({ deviceId: 'leaf', deviceScope: scope });
      await registry.create({
        deviceId: 'edge-child',
        capabilities: { iotEdge: true },
        parentScopes: [scope],
      });
      const leafClient = await t.deviceClient(t.hub.deviceConnectionString('leaf'));
      let disconnected = false;
      leafClient.on('disconnect', () => {
        disconnected = true;
      });
      await leafClient.open();
      leafClient.onDeviceMethod('ping', (_request, response) => void response.send(200, 'pong'));
      await t.hub.whenDeviceSubscribedToMethods('leaf');

      await registry.delete('parent');

      const { responseBody: leaf } = await registry.get('leaf');
      expect(leaf).not.toHaveProperty('deviceScope');
      expect(leaf).not.toHaveProperty('parentScopes');
      expect(leaf.etag).not.toBe(leafBefore.etag);
      const { responseBody: leafTwin } = await registry.getTwin('leaf');
      expect(leafTwin).not.toHaveProperty('deviceScope');
      const { responseBody: edgeChild } = await registry.get('edge-child');
      expect(edgeOf(edgeChild).parentScopes).toEqual([]);
      expect(edgeOf(edgeChild).deviceScope).toMatch(/^ms-azure-iot-edge:\/\/edge-child-/);
      // The child's own connection is untouched: it still answers at once, and never saw a drop.
      await expect(
        t.service.client.invokeDeviceMethod('leaf', {
          methodName: 'ping',
          payload: null,
          connectTimeoutInSeconds: 0,
        }),
      ).resolves.toMatchObject({ result: { status: 200, payload: 'pong' } });
      expect(disconnected).toBe(false);
      // An Edge device made a leaf loses its scope, and its children their parent, in the same way.
      await registry.create({ deviceId: 'grandchild', deviceScope: edgeOf(edgeChild).deviceScope as string });
      const { responseBody: demoted } = await registry.update({
        ...edgeChild,
        capabilities: { iotEdge: false },
      });
      expect(demoted).not.toHaveProperty('deviceScope');
      const { responseBody: grandchild } = await registry.get('grandchild');
      expect(grandchild).not.toHaveProperty('deviceScope');
      // A parent re-created under the same id has a new scope: the old children do not follow it.
      const { responseBody: again } = await registry.create({
        deviceId: 'parent',
        capabilities: { iotEdge: true },
      });
      expect(edgeOf(again).deviceScope).not.toBe(scope);
      await t.close();

      t = await startTestHub({ storage: backend });
      const { responseBody: leafAfter } = await t.service.registry.get('leaf');
      expect(leafAfter).not.toHaveProperty('deviceScope');
      expect(leafAfter.etag).toBe(leaf.etag);
      await expect(t.service.registry.get('grandchild')).resolves.not.toHaveProperty(
        'responseBody.deviceScope',
      );
    } finally {
      await t.close();
    }
  });
});
