import { useEffect, useState } from 'preact/hooks';
import { ApiError, describe, get, patch, post } from './api';
import { useLive } from './events';
import { JsonTree } from './tree';
import { Alert, ConnectionPill, NumberField, TextField, time } from './ui';

interface Twin {
  deviceId: string;
  moduleId?: string;
  etag: string;
  version: number;
  status: string;
  connectionState: string;
  tags?: Record<string, unknown>;
  properties: { desired: Record<string, unknown>; reported: Record<string, unknown> };
}

interface Reboot {
  known: boolean;
  status?: string;
  correlationId?: string | null;
  lastReboot?: string | null;
  startedAt?: string | null;
  reason?: string | null;
  confirmsRequest: boolean;
}

/** The reboot the page asked for: the twin confirms it by echoing this correlation id. */
interface RebootRequest {
  correlationId: string;
  requestedAt: string;
}

interface MethodAnswer {
  status: number;
  payload: unknown;
  latencyMs: number;
}

/** Strips `$metadata`/`$version` so the editor shows only what may be written back. */
function writable(section: Record<string, unknown> | undefined): Record<string, unknown> {
  const { $metadata: _m, $version: _v, ...rest } = section ?? {};
  return rest;
}

/**
 * One device, or one module of a device (`moduleId`): its twin (tree and JSON), editing, a direct method,
 * and the one-click reboot flow, each on the module's own twin and connection for a module.
 */
export function DevicePage({ deviceId, moduleId }: { deviceId: string; moduleId?: string | undefined }) {
  const [rebootRequest, setRebootRequest] = useState<RebootRequest | undefined>();
  // `<device>` or `<device>/modules/<module>`, as the view API's twin, method and reboot routes take it.
  const target =
    encodeURIComponent(deviceId) + (moduleId === undefined ? '' : `/modules/${encodeURIComponent(moduleId)}`);
  const path = `/api/twins/${target}`;
  const { data, error, reload } = useLive(
    () =>
      get<{ twin: Twin; reboot: Reboot }>(
        rebootRequest ? `${path}?correlationId=${encodeURIComponent(rebootRequest.correlationId)}` : path,
      ),
    (e) =>
      e.deviceId === deviceId &&
      e.moduleId === moduleId &&
      (e.type === 'twin' || e.type === 'connection' || e.type === 'device'),
    [target, rebootRequest?.correlationId],
    100,
  );
  const [view, setView] = useState<'tree' | 'json'>('tree');
  return (
    <section>
      <p>
        <a href="#/devices">← Devices</a>
      </p>
      <h1>
        {moduleId === undefined ? (
          deviceId
        ) : (
          <>
            <a href={`#/devices/${encodeURIComponent(deviceId)}`}>{deviceId}</a> / module {moduleId}
          </>
        )}
      </h1>
      <Alert error={error} />
      {data && (
        <>
          <p class="facts">
            <ConnectionPill state={data.twin.connectionState} />
            <span>status {data.twin.status}</span>
            <span>twin version {data.twin.version}</span>
            <span>desired $version {String(data.twin.properties.desired.$version)}</span>
            <span>reported $version {String(data.twin.properties.reported.$version)}</span>
            <span>etag {data.twin.etag}</span>
          </p>
          <div class="grid">
            <div class="card">
              <h2>
                Twin{' '}
                <span class="tabs">
                  <button type="button" aria-pressed={view === 'tree'} onClick={() => setView('tree')}>
                    Tree
                  </button>
                  <button type="button" aria-pressed={view === 'json'} onClick={() => setView('json')}>
                    JSON
                  </button>
                </span>
              </h2>
              {view === 'tree' ? (
                <JsonTree value={data.twin} />
              ) : (
                <pre class="json">{JSON.stringify(data.twin, null, 2)}</pre>
              )}
            </div>
            <div class="stack">
              <RebootCard
                target={target}
                reboot={data.reboot}
                request={rebootRequest}
                onRequested={setRebootRequest}
              />
              <EditCard path={path} twin={data.twin} onSaved={reload} />
              <MethodCard path={path} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}

function RebootCard(props: {
  target: string;
  reboot: Reboot;
  request: RebootRequest | undefined;
  onRequested: (request: RebootRequest) => void;
}) {
  const [answer, setAnswer] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { reboot, request } = props;
  const confirmed = request !== undefined && reboot.confirmsRequest && reboot.status === 'rebooted';
  return (
    <div class="card" data-testid="reboot-card">
      <h2>Reboot</h2>
      <button
        type="button"
        class="primary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setAnswer(undefined);
          try {
            const result = await post<MethodAnswer & RebootRequest>(`/api/devices/${props.target}/reboot`);
            props.onRequested({ correlationId: result.correlationId, requestedAt: result.requestedAt });
            setAnswer(
              `device answered ${result.status} in ${result.latencyMs} ms: ${JSON.stringify(result.payload)}`,
            );
          } catch (err) {
            setAnswer(describe(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        Reboot
      </button>
      {answer && <p class="message">{answer}</p>}
      <dl>
        <dt>reboot state</dt>
        <dd data-testid="reboot-status">
          {reboot.known ? reboot.status : `— (${(reboot as { reason?: string }).reason ?? 'none'})`}
        </dd>
        <dt>last reboot</dt>
        <dd>{time(reboot.lastReboot)}</dd>
        <dt>correlation id</dt>
        <dd>
          <code>{reboot.correlationId ?? '—'}</code>
        </dd>
      </dl>
      {request && (
        <p data-testid="reboot-confirmation" class={confirmed ? 'ok-text' : 'muted'}>
          {confirmed
            ? `Confirmed: the twin reports this request (${request.correlationId}) rebooted at ${time(reboot.lastReboot)}.`
            : reboot.confirmsRequest && reboot.status === 'failed'
              ? `The device reports this reboot failed: ${reboot.reason ?? ''}`
              : `Waiting for the twin to confirm request ${request.correlationId} (asked ${time(request.requestedAt)})…`}
        </p>
      )}
    </div>
  );
}

function EditCard({ path, twin, onSaved }: { path: string; twin: Twin; onSaved: () => void }) {
  const texts = (of: Twin) => ({
    etag: of.etag,
    tags: JSON.stringify(of.tags ?? {}, null, 2),
    desired: JSON.stringify(writable(of.properties.desired), null, 2),
  });
  // The twin the edit started from: its etag goes in If-Match, so a twin changed meanwhile is a 412.
  const [base, setBase] = useState(() => texts(twin));
  const [tags, setTags] = useState(base.tags);
  const [desired, setDesired] = useState(base.desired);
  const [dirty, setDirty] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const edited = (set: (text: string) => void) => (text: string) => {
    set(text);
    setDirty(true);
  };
  const rebase = () => {
    const next = texts(twin);
    setBase(next);
    setTags(next.tags);
    setDesired(next.desired);
    setDirty(false);
  };
  // A twin that changed while nothing was being edited is simply shown; edits in progress are kept.
  useEffect(() => {
    if (!dirty && twin.etag !== base.etag) rebase();
  }, [twin.etag, dirty]);
  const save = async () => {
    let body: { etag: string; tags: unknown; desired: unknown };
    try {
      body = { etag: base.etag, tags: JSON.parse(tags), desired: JSON.parse(desired) };
    } catch (err) {
      setMessage({ text: `not valid JSON: ${describe(err)}`, error: true });
      return;
    }
    try {
      await patch(path, body);
      setMessage({ text: 'saved', error: false });
      setDirty(false);
      onSaved();
    } catch (err) {
      const conflict = err instanceof ApiError && err.status === 412;
      setMessage({
        text: conflict
          ? 'Conflict: the twin changed since you started editing (etag mismatch). Nothing was overwritten; discard your edits to see the new twin.'
          : describe(err),
        error: true,
      });
    }
  };
  return (
    <div class="card">
      <h2>Edit tags and desired properties</h2>
      <p class="muted">Merged as a PATCH with If-Match: "{base.etag}". Set a key to null to remove it.</p>
      <TextField label="tags" rows={4} value={tags} onInput={edited(setTags)} />
      <TextField label="desired" rows={5} value={desired} onInput={edited(setDesired)} />
      <div class="toolbar">
        <button type="button" onClick={save}>
          Save
        </button>
        {dirty && (
          <button
            type="button"
            onClick={() => {
              rebase();
              setMessage(undefined);
            }}
          >
            Discard edits
          </button>
        )}
      </div>
      {message && (
        <p
          class={message.error ? 'error' : 'message'}
          role={message.error ? 'alert' : 'status'}
          data-testid="edit-result"
        >
          {message.text}
        </p>
      )}
    </div>
  );
}

function MethodCard({ path }: { path: string }) {
  const [methodName, setMethodName] = useState('');
  const [payload, setPayload] = useState('null');
  const [responseTimeout, setResponseTimeout] = useState(30);
  const [connectTimeout, setConnectTimeout] = useState(0);
  const [result, setResult] = useState<string | undefined>();
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        setResult('calling…');
        let parsed: unknown;
        try {
          parsed = JSON.parse(payload);
        } catch (err) {
          setResult(`payload is not valid JSON: ${describe(err)}`);
          return;
        }
        try {
          const answer = await post<MethodAnswer>(`${path}/methods`, {
            methodName,
            payload: parsed,
            responseTimeoutInSeconds: responseTimeout,
            connectTimeoutInSeconds: connectTimeout,
          });
          setResult(
            `status ${answer.status} in ${answer.latencyMs} ms\n${JSON.stringify(answer.payload, null, 2)}`,
          );
        } catch (err) {
          setResult(describe(err));
        }
      }}
    >
      <h2>Direct method</h2>
      <label>
        name
        <input required value={methodName} onInput={(e) => setMethodName(e.currentTarget.value)} />
      </label>
      <TextField label="payload (JSON)" rows={3} value={payload} onInput={setPayload} />
      <div class="row">
        <NumberField label="response timeout (s)" value={responseTimeout} onInput={setResponseTimeout} />
        <NumberField label="connect timeout (s)" value={connectTimeout} onInput={setConnectTimeout} />
      </div>
      <button type="submit">Invoke</button>
      {result && <pre class="json">{result}</pre>}
    </form>
  );
}
