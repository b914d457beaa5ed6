import { useRef, useState } from 'preact/hooks';
import { EVENT_CAP, type HubEvent, useHubEvents } from './events';

function summary(e: HubEvent): string {
  // A module is named as its MQTT client id is: `<device>/<module>`.
  const who = e.moduleId === undefined ? e.deviceId : `${e.deviceId}/${e.moduleId}`;
  switch (e.type) {
    case 'connection':
      return `${who} ${e.state === 'Connected' ? 'connected' : 'disconnected'}`;
    case 'method':
      return `${e.methodName} on ${who} → ${e.status}${e.error ? ` ${e.error}` : ''} in ${e.durationMs} ms`;
    case 'twin':
      return `twin of ${who} changed (version ${e.version})`;
    case 'device':
      return `${e.moduleId === undefined ? 'device' : 'module'} ${who} ${e.change}`;
    case 'job':
      return `job ${e.jobId} ${e.status}`;
    case 'job-device':
      return `job ${e.jobId}: ${e.deviceId} ${e.status}`;
  }
}

/** Live activity as it happens, newest first; paused events are counted, not kept; at most EVENT_CAP. */
export function ActivityPage() {
  const [events, setEvents] = useState<HubEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  useHubEvents((event) => {
    if (pausedRef.current) setMissed((n) => n + 1);
    else setEvents((list) => [event, ...list].slice(0, EVENT_CAP));
  });
  return (
    <section>
      <h1>Live activity</h1>
      <div class="toolbar">
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            setPaused(!paused);
            if (paused) setMissed(0);
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setEvents([])}>
          Clear
        </button>
        <span class="muted">
          keeps the last {EVENT_CAP} · {events.length} shown
          {paused && missed > 0 ? ` · ${missed} missed while paused` : ''}
        </span>
      </div>
      <ol class="events">
        {events.map((e, i) => (
          <li key={`${e.at}-${i}`} class={`event ${e.type}`}>
            <time>{new Date(e.at).toLocaleTimeString()}</time>
            <span class="type">{e.type}</span>
            <span>{summary(e)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
