import { HubError } from '../errors';
import { setup } from '../test-support/registry';
import { applyBulkOperations, type BulkEntry } from './bulk';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const entry = (deviceId: string, mode: BulkEntry['mode'], extra: Partial<BulkEntry> = {}): BulkEntry => ({
  deviceId,
  mode,
  device: {},
  twin: {},
  ...extra,
});

describe('applyBulkOperations', () => {
  it('creates devices with given or generated keys and initial tags and desired properties', async () => {
    const deps = await setup();
    const result = await applyBulkOperations(deps, [
      entry('b1', 'create', {
        device: { primaryKey: key(1), secondaryKey: key(2) },
        twin: { tags: { site: 'a' } },
      }),
      entry('b2', 'create', { twin: { tags: { site: 'b' }, properties: { desired: { interval: 5 } } } }),
    ]);
    expect(result).toEqual({ isSuccessful: true, errors: [], warnings: [] });
    expect(deps.registry.get('b1')).toMatchObject({ primaryKey: key(1), secondaryKey: key(2) });
    expect(Buffer.from(deps.registry.get('b2')?.primaryKey ?? '', 'base64')).toHaveLength(32);
    expect(deps.twins.get('b1')?.tags).toEqual({ site: 'a' });
    expect(deps.twins.get('b2')).toMatchObject({ tags: { site: 'b' }, desired: { values: { interval: 5 } } });
  });

  it('applies every entry on its own and reports each failure by device', async () => {
    const deps = await setup();
    await deps.registry.create('exists');
    const result = await applyBulkOperations(deps, [
      entry('new-1', 'create'),
      entry('exists', 'create'),
      entry('ghost', 'update'),
      entry('ghost-2', 'delete'),
      entry('bad/id', 'create'),
      entry('new-2', 'create'),
    ]);
    expect(result.isSuccessful).toBe(false);
    expect(result.errors).toEqual([
      {
        deviceId: 'exists',
        errorCode: 'DeviceAlreadyExists',
        errorStatus: expect.stringContaining('exists'),
      },
      { deviceId: 'ghost', errorCode: 'DeviceNotFound', errorStatus: expect.any(String) },
      { deviceId: 'ghost-2', errorCode: 'DeviceNotFound', errorStatus: expect.any(String) },
      { deviceId: 'bad/id', errorCode: 'ArgumentInvalid', errorStatus: expect.any(String) },
    ]);
    expect(deps.registry.get('new-1')).toBeDefined();
    expect(deps.registry.get('new-2')).toBeDefined();
  });

  it('fails an entry with bad or oversized twin data before writing anything of it', async () => {
    const deps = await setup();
    await deps.registry.create('t3');
    const identityBefore = deps.registry.get('t3');
    const oversized = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'x'.repeat(1000)]));
    const result = await applyBulkOperations(deps, [
      entry('t1', 'create', { twin: { tags: { 'a.b': 1 } } }),
      entry('t2', 'create', { twin: { tags: oversized } }),
      entry('t3', 'update', { device: { status: 'disabled' }, twin: { tags: oversized } }),
      entry('t4', 'create', { invalid: new HubError('ArgumentInvalid', 'unsupported auth type') }),
      entry('t5', 'create'),
    ]);
    expect(result.errors.map((e) => [e.deviceId, e.errorCode])).toEqual([
      ['t1', 'ArgumentInvalid'],
      ['t2', 'ArgumentInvalid'],
      ['t3', 'ArgumentInvalid'],
      ['t4', 'ArgumentInvalid'],
    ]);
    expect(result.errors[1]?.errorStatus).toMatch(/tags/);
    expect(['t1', 't2', 't4'].map((id) => deps.registry.get(id))).toEqual([undefined, undefined, undefined]);
    expect(deps.registry.get('t3')).toEqual(identityBefore);
    expect(deps.registry.get('t5')).toBeDefined();
  });

  it('reports failures that are not hub errors as ServerError, without details, and tells onUnexpected', async () => {
    const deps = await setup();
    const unexpected: [string, unknown][] = [];
    const failure = new Error('disk on fire');
    deps.store.put = () => Promise.reject(failure);
    const result = await applyBulkOperations(
      { ...deps, onUnexpected: (err, deviceId) => unexpected.push([deviceId, err]) },
      [entry('io-1', 'create')],
    );
    expect(result.errors).toEqual([
      { deviceId: 'io-1', errorCode: 'ServerError', errorStatus: 'The hub failed to apply this operation.' },
    ]);
    expect(unexpected).toEqual([['io-1', failure]]);
  });

  it('matches etags in the IfMatchETag modes and ignores them otherwise', async () => {
    const deps = await setup();
    const device = await deps.registry.create('e1');
    await deps.registry.create('e2');
    const twinEtag = deps.twins.get('e1')?.etag;
    const result = await applyBulkOperations(deps, [
      entry('e1', 'updateIfMatchETag', { eTag: 'stale', device: { status: 'disabled' } }),
      entry('e2', 'updateIfMatchETag', { device: { status: 'disabled' } }),
    ]);
    expect(result.errors.map((e) => [e.deviceId, e.errorCode])).toEqual([
      ['e1', 'PreconditionFailed'],
      ['e2', 'ArgumentInvalid'],
    ]);
    expect(deps.registry.get('e1')?.status).toBe('enabled');

    const ok = await applyBulkOperations(deps, [
      entry('e1', 'updateIfMatchETag', { eTag: device.etag, device: { status: 'disabled' } }),
      entry('e2', 'updateTwinIfMatchETag', { twinETag: 'stale', twin: { tags: { a: 1 } } }),
    ]);
    expect(ok.errors.map((e) => [e.deviceId, e.errorCode])).toEqual([['e2', 'PreconditionFailed']]);
    expect(deps.registry.get('e1')?.status).toBe('disabled');
    expect(deps.registry.get('e1')?.primaryKey).toBe(device.primaryKey);

    const twin = await applyBulkOperations(deps, [
      entry('e1', 'updateTwinIfMatchETag', { twinETag: twinEtag, twin: { tags: { a: 1 } } }),
      entry('e2', 'updateTwin', { twin: { tags: { b: 2 } } }),
    ]);
    expect(twin.isSuccessful).toBe(true);
    expect([deps.twins.get('e1')?.tags, deps.twins.get('e2')?.tags]).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('creates or updates, and deletes with or without an etag', async () => {
    const deps = await setup();
    const existing = await deps.registry.create('c1');
    const result = await applyBulkOperations(deps, [
      entry('c1', 'createOrUpdate', { device: { status: 'disabled' } }),
      entry('c2', 'createOrUpdate'),
    ]);
    expect(result.isSuccessful).toBe(true);
    expect(deps.registry.get('c1')).toMatchObject({ status: 'disabled', primaryKey: existing.primaryKey });
    expect(deps.registry.get('c2')).toBeDefined();

    const removal = await applyBulkOperations(deps, [
      entry('c1', 'deleteIfMatchETag', { eTag: existing.etag }),
      entry('c2', 'delete'),
    ]);
    expect(removal.errors.map((e) => [e.deviceId, e.errorCode])).toEqual([['c1', 'PreconditionFailed']]);
    expect(deps.registry.get('c1')).toBeDefined();
    expect(deps.registry.get('c2')).toBeUndefined();
    expect(deps.twins.get('c2')).toBeUndefined();
  });

  it('refuses the whole request when empty, over 100 entries, or naming a device twice', async () => {
    const deps = await setup();
    const many = Array.from({ length: 101 }, (_, i) => entry(`m${i}`, 'create'));
    await expect(applyBulkOperations(deps, [])).rejects.toMatchObject({ errorName: 'ArgumentInvalid' });
    await expect(applyBulkOperations(deps, many)).rejects.toMatchObject({
      errorName: 'TooManyDevices',
      status: 413,
    });
    await expect(
      applyBulkOperations(deps, [entry('d', 'create'), entry('d', 'delete')]),
    ).rejects.toMatchObject({
      errorName: 'DeviceDefinedMultipleTimes',
    });
    expect(deps.registry.list()).toEqual([]);
    await expect(applyBulkOperations(deps, many.slice(0, 100))).resolves.toMatchObject({
      isSuccessful: true,
    });
  });
});
