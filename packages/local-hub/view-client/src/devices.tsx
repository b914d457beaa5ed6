import { useState } from 'preact/hooks';
import { del, describe, get, patch, post } from './api';
import { useLive } from './events';
import { Alert, type Column, ConnectionPill, Status, Table, time } from './ui';

/** What changes as a device or a module connects, works and subscribes. */
interface LiveState {
  connectionState: 'Connected' | 'Disconnected';
  lastActivityTime: string;
  methodsSubscribed: boolean;
}

type AuthType = 'sas' | 'selfSigned' | 'certificateAuthority';

export interface DeviceRow extends LiveState {
  deviceId: string;
  etag: string;
  status: 'enabled' | 'disabled';
  authType: AuthType;
  modules: (LiveState & { moduleId: string; authType: AuthType })[];
}

/** A device's row, or one of its modules' rows just under it. */
type Row = { device: DeviceRow; module?: DeviceRow['modules'][number] };

const enc = encodeURIComponent;

/**
 * The device list: live connection state, filters, add, disable/enable, remove, copy connection string;
 * the same add, remove and copy for modules.
 */
export function DevicesPage() {
  const [idFilter, setIdFilter] = useState('');
  const [where, setWhere] = useState('');
  const [applied, setApplied] = useState({ id: '', where: '' });
  const [message, setMessage] = useState<string | undefined>();
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const query = new URLSearchParams({ id: applied.id, where: applied.where }).toString();
  const { data, error, reload } = useLive(
    () => get<DeviceRow[]>(`/api/devices?${query}`),
    (e) => e.type === 'connection' || e.type === 'device' || (e.type === 'twin' && applied.where !== ''),
    [query],
  );
  const act = async (work: () => Promise<unknown>, done?: string) => {
    try {
      await work();
      setMessage(done);
      reload();
    } catch (err) {
      setMessage(describe(err));
    }
  };
  /** Reveal (asked for: the answer holds a key), copy and hide a device's or a module's connection string. */
  const secret = (key: string, path: string, owner: string) =>
    revealed[key] ? (
      <span class="secret">
        <code>{revealed[key]}</code>
        <button type="button" onClick={() => void navigator.clipboard?.writeText(revealed[key] ?? '')}>
          Copy
        </button>
        <button type="button" onClick={() => setRevealed(({ [key]: _, ...rest }) => rest)}>
          Hide
        </button>
      </span>
    ) : (
      <button
        type="button"
        title={`Shows the ${owner}'s connection string (it holds the ${owner} key)`}
        onClick={() =>
          act(async () => {
            const { connectionString } = await post<{ connectionString: string }>(
              `${path}/connection-string`,
            );
            setRevealed((r) => ({ ...r, [key]: connectionString }));
          })
        }
      >
        Connection string ••••
      </button>
    );
  const actions = (d: DeviceRow) => (
    <span class="actions">
      <button
        type="button"
        onClick={() =>
          act(() =>
            patch(`/api/devices/${enc(d.deviceId)}`, {
              status: d.status === 'enabled' ? 'disabled' : 'enabled',
              etag: d.etag,
            }),
          )
        }
      >
        {d.status === 'enabled' ? 'Disable' : 'Enable'}
      </button>
      <button
        type="button"
        class="danger"
        onClick={() => {
          if (confirm(`Remove ${d.deviceId}?`))
            void act(() => del(`/api/devices/${enc(d.deviceId)}`), `removed ${d.deviceId}`);
        }}
      >
        Remove
      </button>
      {secret(d.deviceId, `/api/devices/${enc(d.deviceId)}`, 'device')}
    </span>
  );
  const moduleActions = (d: DeviceRow, m: DeviceRow['modules'][number]) => {
    const name = `${d.deviceId}/${m.moduleId}`;
    const path = `/api/devices/${enc(d.deviceId)}/modules/${enc(m.moduleId)}`;
    return (
      <span class="actions">
        <button
          type="button"
          class="danger"
          onClick={() => {
            if (confirm(`Remove module ${m.moduleId} of ${d.deviceId}?`))
              void act(() => del(path), `removed module ${name}`);
          }}
        >
          Remove
        </button>
        {secret(name, path, 'module')}
      </span>
    );
  };
  const columns: Column<Row>[] = [
    [
      'Device',
      ({ device, module }) =>
        module ? (
          <a class="module" href={`#/devices/${enc(device.deviceId)}/modules/${enc(module.moduleId)}`}>
            ↳ {module.moduleId}
          </a>
        ) : (
          <a href={`#/devices/${enc(device.deviceId)}`}>{device.deviceId}</a>
        ),
    ],
    ['Status', ({ device, module }) => (module ? 'module' : device.status)],
    ['Connection', ({ device, module }) => <ConnectionPill state={(module ?? device).connectionState} />],
    ['Auth', ({ device, module }) => <span data-testid="auth">{(module ?? device).authType}</span>],
    ['Last activity', ({ device, module }) => time((module ?? device).lastActivityTime)],
    ['Methods', ({ device, module }) => ((module ?? device).methodsSubscribed ? 'subscribed' : '—')],
    ['Actions', ({ device, module }) => (module ? moduleActions(device, module) : actions(device))],
  ];
  const rows = (data ?? []).flatMap((device): Row[] => [
    { device },
    ...device.modules.map((module) => ({ device, module })),
  ]);
  return (
    <section>
      <h1>Devices</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ id: idFilter, where });
        }}
      >
        <input
          aria-label="Filter by id"
          placeholder="filter by id"
          value={idFilter}
          onInput={(e) => setIdFilter(e.currentTarget.value)}
        />
        <input
          aria-label="Twin query condition"
          class="wide"
          placeholder="twin condition, e.g. tags.site = 'lab'"
          value={where}
          onInput={(e) => setWhere(e.currentTarget.value)}
        />
        <button type="submit">Filter</button>
      </form>
      <AddDevice onAdd={(body) => act(() => post('/api/devices', body), `added ${body.deviceId}`)} />
      {data && data.length > 0 && (
        <AddModule
          deviceIds={data.map((d) => d.deviceId)}
          onAdd={(deviceId, moduleId) =>
            act(
              () => post(`/api/devices/${enc(deviceId)}/modules`, { moduleId }),
              `added module ${deviceId}/${moduleId}`,
            )
          }
        />
      )}
      <Status text={message} />
      <Alert error={error} />
      <Table
        columns={columns}
        rows={rows}
        rowKey={({ device, module }) => (module ? `${device.deviceId}/${module.moduleId}` : device.deviceId)}
        attrs={({ device, module }): Record<string, string> =>
          module
            ? { 'data-module': `${device.deviceId}/${module.moduleId}` }
            : { 'data-device': device.deviceId }
        }
      />
      {data?.length === 0 && (
        <p class="empty">No devices{applied.id || applied.where ? ' match the filter' : ''}.</p>
      )}
    </section>
  );
}

/** Adds a device with symmetric keys, a self-signed certificate's thumbprint, or CA authentication. */
function AddDevice({ onAdd }: { onAdd: (body: Record<string, string>) => Promise<void> }) {
  const [deviceId, setDeviceId] = useState('');
  const [authType, setAuthType] = useState<AuthType>('sas');
  const [thumbprint, setThumbprint] = useState('');
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        void onAdd({
          deviceId,
          authType,
          ...(authType === 'selfSigned' ? { primaryThumbprint: thumbprint } : {}),
        }).then(() => setDeviceId(''));
      }}
    >
      <input
        aria-label="New device id"
        placeholder="new device id"
        value={deviceId}
        onInput={(e) => setDeviceId(e.currentTarget.value)}
      />
      <select
        aria-label="Authentication"
        value={authType}
        onChange={(e) => setAuthType(e.currentTarget.value as AuthType)}
      >
        <option value="sas">symmetric key (sas)</option>
        <option value="selfSigned">X.509 self-signed</option>
        <option value="certificateAuthority">X.509 CA-signed</option>
      </select>
      {authType === 'selfSigned' && (
        <input
          aria-label="Certificate thumbprint"
          class="wide"
          placeholder="SHA-1 or SHA-256 thumbprint (hex)"
          value={thumbprint}
          onInput={(e) => setThumbprint(e.currentTarget.value)}
        />
      )}
      <button type="submit">Add device</button>
    </form>
  );
}

/**
 * Adds a module (symmetric keys, generated by the hub) to one of the listed devices. Its id is checked by the
 * hub alone (the module REST route's rules), so the page shows exactly what the API answers.
 */
function AddModule(props: {
  deviceIds: readonly string[];
  onAdd: (deviceId: string, moduleId: string) => Promise<void>;
}) {
  const [chosen, setChosen] = useState('');
  const [moduleId, setModuleId] = useState('');
  // The chosen device, or the first listed while none is chosen (or the chosen one left the list).
  const deviceId = props.deviceIds.includes(chosen) ? chosen : (props.deviceIds[0] ?? '');
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        void props.onAdd(deviceId, moduleId).then(() => setModuleId(''));
      }}
    >
      <select
        aria-label="Device of the new module"
        value={deviceId}
        onChange={(e) => setChosen(e.currentTarget.value)}
      >
        {props.deviceIds.map((id) => (
          <option key={id} value={id}>
            {id}
          </option>
        ))}
      </select>
      <input
        aria-label="New module id"
        placeholder="new module id"
        value={moduleId}
        onInput={(e) => setModuleId(e.currentTarget.value)}
      />
      <button type="submit">Add module</button>
    </form>
  );
}
