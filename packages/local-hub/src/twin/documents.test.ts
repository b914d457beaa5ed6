import { toDesiredPatchMessage, toDeviceTwinDocument, toServiceTwinDocument } from './documents';
import { applyTwinPatch, createTwin } from './twin';
import type { DeviceFacts } from './types';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T00:01:00.000Z');

const twin = applyTwinPatch(
  applyTwinPatch(
    applyTwinPatch(createTwin('dev-1', T0), 'desired', { mode: 'eco' }, T1),
    'reported',
    { up: true },
    T1,
  ),
  'tags',
  { site: 'lab' },
  T1,
);

const facts: DeviceFacts = {
  etag: 'AAAAAAAAAAE=',
  iotEdge: false,
  status: 'enabled',
  statusUpdateTime: '0001-01-01T00:00:00Z',
  connectionState: 'Connected',
  lastActivityTime: T1.toISOString(),
  authenticationType: 'sas',
  x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
};

describe('toDeviceTwinDocument', () => {
  it('gives both property sets with $version and no metadata or tags', () => {
    expect(toDeviceTwinDocument(twin)).toEqual({
      desired: { mode: 'eco', $version: 2 },
      reported: { up: true, $version: 2 },
    });
  });
});

describe('toDesiredPatchMessage', () => {
  it('adds $version to the patch as pushed to the device', () => {
    expect(toDesiredPatchMessage({ mode: null, a: { b: 1 } }, 7)).toEqual({
      mode: null,
      a: { b: 1 },
      $version: 7,
    });
  });
});

describe('toServiceTwinDocument', () => {
  it('has the fields azure-iothub reads, with metadata and versions under properties', () => {
    const doc = toServiceTwinDocument(twin, facts);
    expect(doc).toEqual({
      deviceId: 'dev-1',
      modelId: '',
      etag: twin.etag,
      deviceEtag: 'AAAAAAAAAAE=',
      version: 4,
      status: 'enabled',
      statusUpdateTime: '0001-01-01T00:00:00Z',
      connectionState: 'Connected',
      lastActivityTime: T1.toISOString(),
      cloudToDeviceMessageCount: 0,
      authenticationType: 'sas',
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
      capabilities: { iotEdge: false },
      tags: { site: 'lab' },
      properties: {
        desired: { mode: 'eco', $metadata: twin.desired.metadata, $version: 2 },
        reported: { up: true, $metadata: twin.reported.metadata, $version: 2 },
      },
    });
  });

  it('returns a copy that callers may change without touching the record', () => {
    const doc = toServiceTwinDocument(twin, facts);
    (doc.tags as Record<string, unknown>).site = 'changed';
    expect(twin.tags).toEqual({ site: 'lab' });
  });
});
