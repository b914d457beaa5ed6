import { useState } from 'preact/hooks';
import { del, describe, get, patch, post } from './api';
import { useLive } from './events';

export interface DeviceRow {
  deviceId: string;
  etag: string;
  status: 'enabled' | 'disabled';
  authType: string;
  connectionState: 'Connected' | 'Disconnected';
  lastActivityTime: string;
  methodsSubscribed: boolean;
}

const NEVER = '0001-01-01T00:00:00Z';

export function time(iso: string | null | undefined): string {
  if (!iso || iso.startsWith('0001-01-01')) return '—';
  return new Date(iso).toLocaleString();
}

/** The device list: live connection state, filters, add, disable/enable, remove, copy connection string. */
export function DevicesPage() {
  const [idFilter, setIdFilter] = useState('');
  const [where, setWhere] = useState('');
  const [applied, setApplied] = useState({ id: '', where: '' });
  const [newId, setNewId] = useState('');
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
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => post('/api/devices', { deviceId: newId }), `added ${newId}`).then(() =>
            setNewId(''),
          );
        }}
      >
        <input
          aria-label="New device id"
          placeholder="new device id"
          value={newId}
          onInput={(e) => setNewId(e.currentTarget.value)}
        />
        <button type="submit">Add device</button>
      </form>
      {message && (
        <p class="message" role="status">
          {message}
        </p>
      )}
      {error !== undefined && (
        <p class="error" role="alert">
          {describe(error)}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Device</th>
              <th>Status</th>
              <th>Connection</th>
              <th>Auth</th>
              <th>Last activity</th>
              <th>Methods</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {(data ?? []).map((d) => (
              <tr key={d.deviceId} data-device={d.deviceId}>
                <td>
                  <a href={`#/devices/${encodeURIComponent(d.deviceId)}`}>{d.deviceId}</a>
                </td>
                <td>{d.status}</td>
                <td>
                  <span
                    class={`pill ${d.connectionState === 'Connected' ? 'ok' : 'off'}`}
                    data-testid="connection"
                  >
                    {d.connectionState}
                  </span>
                </td>
                <td>{d.authType}</td>
                <td>{d.lastActivityTime === NEVER ? '—' : time(d.lastActivityTime)}</td>
                <td>{d.methodsSubscribed ? 'subscribed' : '—'}</td>
                <td class="actions">
                  <button
                    type="button"
                    onClick={() =>
                      act(() =>
                        patch(`/api/devices/${encodeURIComponent(d.deviceId)}`, {
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
                        void act(
                          () => del(`/api/devices/${encodeURIComponent(d.deviceId)}`),
                          `removed ${d.deviceId}`,
                        );
                    }}
                  >
                    Remove
                  </button>
                  {revealed[d.deviceId] ? (
                    <span class="secret">
                      <code>{revealed[d.deviceId]}</code>
                      <button
                        type="button"
                        onClick={() => void navigator.clipboard?.writeText(revealed[d.deviceId] ?? '')}
                      >
                        Copy
                      </button>
                      <button
                        type="button"
                        onClick={() => setRevealed(({ [d.deviceId]: _, ...rest }) => rest)}
                      >
                        Hide
                      </button>
                    </span>
                  ) : (
                    <button
                      type="button"
                      title="Shows the device's connection string (it holds the device key)"
                      onClick={() =>
                        act(async () => {
                          const { connectionString } = await post<{ connectionString: string }>(
                            `/api/devices/${encodeURIComponent(d.deviceId)}/connection-string`,
                          );
                          setRevealed((r) => ({ ...r, [d.deviceId]: connectionString }));
                        })
                      }
                    >
                      Connection string ••••
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {data?.length === 0 && (
          <p class="empty">No devices{applied.id || applied.where ? ' match the filter' : ''}.</p>
        )}
      </div>
    </section>
  );
}
