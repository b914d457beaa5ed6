import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

describe('identity registry through azure-iothub Registry', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('creates, reads, lists, updates and deletes devices', async () => {
    const { responseBody: created } = await t.service.registry.create({ deviceId: 'crud-1' });
    expect(created.deviceId).toBe('crud-1');
    expect(created.status).toBe('enabled');
    expect(created.authentication?.symmetricKey?.primaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(created.authentication?.symmetricKey?.secondaryKey).not.toBe(
      created.authentication?.symmetricKey?.primaryKey,
    );

    const { responseBody: read } = await t.service.registry.get('crud-1');
    expect(read.etag).toBe(created.etag);
    expect(read.connectionState).toBe('Disconnected');

    const { responseBody: updated } = await t.service.registry.update({
      deviceId: 'crud-1',
      status: 'disabled',
    });
    expect(updated.status).toBe('disabled');
    expect(updated.etag).not.toBe(created.etag);
    expect(updated.authentication?.symmetricKey?.primaryKey).toBe(
      created.authentication?.symmetricKey?.primaryKey,
    );

    const { responseBody: list } = await t.service.registry.list();
    expect(list.map((d) => d.deviceId)).toContain('crud-1');

    await t.service.registry.delete('crud-1');
    await expect(t.service.registry.get('crud-1')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  // As IoT Hub shows a device that never connected and whose status never changed: DateTime.MinValue times,
  // a generationId of .NET ticks, and the twin naming the identity's etag as deviceEtag.
  it('shows never-set times, generationId and deviceEtag as IoT Hub writes them', async () => {
    const { responseBody: created } = await t.service.registry.create({ deviceId: 'fresh-1' });
    expect(created).toMatchObject({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: '0001-01-01T00:00:00Z',
      lastActivityTime: '0001-01-01T00:00:00Z',
      statusUpdatedTime: '0001-01-01T00:00:00Z',
    });
    expect(created.generationId).toMatch(/^\d{18}$/);
    const { responseBody: twin } = await t.service.registry.getTwin('fresh-1');
    expect(twin).toMatchObject({ deviceEtag: created.etag, lastActivityTime: '0001-01-01T00:00:00Z' });
    await t.service.registry.update({ deviceId: 'fresh-1', status: 'disabled' });
    const { responseBody: disabled } = await t.service.registry.get('fresh-1');
    expect(Date.parse(disabled.statusUpdatedTime as unknown as string)).toBeGreaterThan(
      Date.parse('2020-01-01'),
    );
  });

  it('keeps caller-supplied keys and refuses duplicates and bad ids', async () => {
    const primaryKey = Buffer.alloc(32, 1).toString('base64');
    const secondaryKey = Buffer.alloc(32, 2).toString('base64');
    const { responseBody } = await t.service.registry.create({
      deviceId: 'keys-1',
      authentication: { symmetricKey: { primaryKey, secondaryKey } },
    });
    expect(responseBody.authentication?.symmetricKey).toEqual({ primaryKey, secondaryKey });
    await expect(t.service.registry.create({ deviceId: 'keys-1' })).rejects.toMatchObject({
      name: 'DeviceAlreadyExistsError',
    });
    await expect(t.service.registry.create({ deviceId: 'bad/id' })).rejects.toMatchObject({
      name: 'ArgumentError',
    });
    await expect(t.service.registry.create({ deviceId: 'x'.repeat(129) })).rejects.toMatchObject({
      name: 'ArgumentError',
    });
    await expect(t.service.registry.create({ deviceId: "ok-:.+%_#*?!(),=@;$'" })).resolves.toBeDefined();
  });

  it('answers 404 DeviceNotFound for updates and deletes of unknown devices', async () => {
    await expect(t.service.registry.update({ deviceId: 'ghost', status: 'enabled' })).rejects.toMatchObject({
      name: 'DeviceNotFoundError',
    });
    await expect(t.service.registry.delete('ghost')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('enforces policy permissions: registryRead reads but cannot write', async () => {
    const { createServiceClients } = await import('@iothub-reboot/service-connection');
    const reader = createServiceClients(t.hub.serviceConnectionString('registryRead'), { ca: t.hub.caPem });
    try {
      await t.hub.createDevice('perm-1');
      await expect(reader.registry.get('perm-1')).resolves.toBeDefined();
      await expect(reader.registry.create({ deviceId: 'perm-2' })).rejects.toMatchObject({
        name: 'UnauthorizedError',
      });
      await expect(
        reader.client.invokeDeviceMethod('perm-1', { methodName: 'reboot', payload: null }),
      ).rejects.toMatchObject({ name: 'UnauthorizedError' });
    } finally {
      await reader.close();
    }
  });

  describe('bulk operations (Registry.addDevices / updateDevices / removeDevices)', () => {
    // The SDK's DeviceDescription type lacks the ExportImportDevice twin fields the service accepts.
    type BulkDevice = Parameters<typeof t.service.registry.addDevices>[0][number] & { tags?: unknown };
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

    it('creates 100 devices in one call, with generated or given keys and initial tags', async () => {
      const primaryKey = Buffer.alloc(32, 7).toString('base64');
      const devices: BulkDevice[] = ids('bulk-', 100).map((deviceId, i) => ({
        deviceId,
        tags: { batch: 'one', index: i },
        ...(i === 0 ? { authentication: { symmetricKey: { primaryKey, secondaryKey: primaryKey } } } : {}),
      }));
      const { responseBody } = await t.service.registry.addDevices(devices);
      expect(responseBody).toEqual({ isSuccessful: true, errors: [], warnings: [] });

      const { responseBody: first } = await t.service.registry.get('bulk-0');
      expect(first.authentication?.symmetricKey?.primaryKey).toBe(primaryKey);
      const { responseBody: last } = await t.service.registry.get('bulk-99');
      expect(last.authentication?.symmetricKey?.primaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      const { responseBody: twin } = await t.service.registry.getTwin('bulk-99');
      expect(twin.tags).toEqual({ batch: 'one', index: 99 });
      // Usable at once: the device authenticates with the generated key.
      await expect(t.connectDevice('bulk-99')).resolves.toBeDefined();
    });

    it('answers a partly failed call with 400 and the failed devices, applying the rest', async () => {
      await t.service.registry.create({ deviceId: 'bulk-dup' });
      const failure = await t.service.registry
        .addDevices([{ deviceId: 'bulk-dup' }, { deviceId: 'bulk-fresh' }])
        .then(
          () => undefined,
          (err: Error & { responseBody?: string; response?: { statusCode?: number } }) => err,
        );
      expect(failure?.name).toBe('ArgumentError');
      expect(failure?.response?.statusCode).toBe(400);
      expect(JSON.parse(failure?.responseBody ?? '{}')).toEqual({
        isSuccessful: false,
        errors: [{ deviceId: 'bulk-dup', errorCode: 'DeviceAlreadyExists', errorStatus: expect.any(String) }],
        warnings: [],
      });
      await expect(t.service.registry.get('bulk-fresh')).resolves.toBeDefined();
    });

    it('updates and removes in bulk, with and without etags', async () => {
      const { responseBody: before } = await t.service.registry.create({ deviceId: 'bulk-up' });
      await t.service.registry.addDevices([{ deviceId: 'bulk-rm-1' }, { deviceId: 'bulk-rm-2' }]);

      const stale = await t.service.registry
        .updateDevices([{ deviceId: 'bulk-up', status: 'disabled', etag: 'stale' }], false)
        .then(
          () => undefined,
          (err: Error & { responseBody?: string }) => err,
        );
      expect(stale?.name).toBe('ArgumentError');
      expect(JSON.parse(stale?.responseBody ?? '{}').errors).toEqual([
        { deviceId: 'bulk-up', errorCode: 'PreconditionFailed', errorStatus: expect.any(String) },
      ]);
      // The SDK sends the device's `etag` as it is; with the right one the update goes through.
      const { responseBody: matched } = await t.service.registry.updateDevices(
        [{ deviceId: 'bulk-up', status: 'enabled', etag: before.etag }],
        false,
      );
      expect(matched.isSuccessful).toBe(true);
      const { responseBody } = await t.service.registry.updateDevices(
        [{ deviceId: 'bulk-up', status: 'disabled' }],
        true,
      );
      expect(responseBody.isSuccessful).toBe(true);
      const { responseBody: after } = await t.service.registry.get('bulk-up');
      expect(after.status).toBe('disabled');
      // The SDK sends empty keys with an update; the identity keeps the ones it has.
      expect(after.authentication?.symmetricKey?.primaryKey).toBe(
        before.authentication?.symmetricKey?.primaryKey,
      );

      const { responseBody: rm1 } = await t.service.registry.get('bulk-rm-1');
      await t.service.registry.removeDevices([{ deviceId: 'bulk-rm-1', etag: rm1.etag }], false);
      await t.service.registry.removeDevices([{ deviceId: 'bulk-rm-2' }], true);
      await expect(t.service.registry.get('bulk-rm-1')).rejects.toMatchObject({
        name: 'DeviceNotFoundError',
      });
      await expect(t.service.registry.get('bulk-rm-2')).rejects.toMatchObject({
        name: 'DeviceNotFoundError',
      });
    });

    it('refuses unknown import modes, duplicates and non-arrays whole, and a bad entry alone', async () => {
      const post = async (body: unknown) => {
        const res = await rawRequest(t.hub, 'POST', '/devices?api-version=2021-04-12', {
          body: JSON.stringify(body),
        });
        return { status: res.status, body: res.text };
      };
      const unknownMode = await post([{ id: 'bulk-x', importMode: 'explode' }]);
      expect(unknownMode.status).toBe(400);
      expect(unknownMode.body).toContain('ErrorCode:ArgumentInvalid');
      expect(unknownMode.body).toContain('unknown importMode');
      const twice = await post([
        { id: 'bulk-y', importMode: 'create' },
        { id: 'bulk-y', importMode: 'CREATE' },
      ]);
      expect(twice.status).toBe(400);
      expect(twice.body).toContain('ErrorCode:DeviceDefinedMultipleTimes');
      expect((await post({ id: 'bulk-z', importMode: 'create' })).status).toBe(400);
      const tooMany = await post(ids('bulk-many-', 101).map((id) => ({ id, importMode: 'create' })));
      expect(tooMany.status).toBe(413);
      expect(tooMany.body).toContain('ErrorCode:TooManyDevices');
      const oneBad = await post([
        { id: 'bulk-x509', importMode: 'create', authentication: { type: 'selfSigned' } },
        { id: 'bulk-ok', importMode: 'create', properties: { desired: null }, tags: null },
      ]);
      expect(oneBad.status).toBe(400);
      expect(JSON.parse(oneBad.body).errors).toEqual([
        {
          deviceId: 'bulk-x509',
          errorCode: 'ArgumentInvalid',
          errorStatus: expect.stringContaining('selfSigned'),
        },
      ]);
      await expect(t.service.registry.get('bulk-ok')).resolves.toBeDefined();
      await expect(t.service.registry.get('bulk-y')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
      await expect(t.service.registry.get('bulk-many-0')).rejects.toMatchObject({
        name: 'DeviceNotFoundError',
      });
    });
  });
});
