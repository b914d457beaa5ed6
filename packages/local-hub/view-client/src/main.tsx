import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ActivityPage } from './activity';
import { DevicePage } from './device';
import { DevicesPage } from './devices';
import { useStreamUp } from './events';
import { JobsPage } from './jobs';
import { QueryPage } from './query';

// Hash routes: the server serves one page, and a route never reaches the server (nor its logs).
function useRoute(): string {
  const [hash, setHash] = useState(location.hash || '#/devices');
  useEffect(() => {
    const changed = () => setHash(location.hash || '#/devices');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function App() {
  const route = useRoute();
  const up = useStreamUp();
  // Ids cannot hold `/` (IoT Hub's id rules), and the links encode them, so `/` only separates.
  const device = /^#\/devices\/([^/]+)(?:\/modules\/([^/]+))?$/.exec(route);
  const nav = [
    ['#/devices', 'Devices'],
    ['#/jobs', 'Jobs'],
    ['#/query', 'Query'],
    ['#/activity', 'Activity'],
  ] as const;
  return (
    <>
      <header>
        <strong>Local IoT Hub</strong>
        <nav>
          {nav.map(([href, label]) => (
            <a key={href} href={href} aria-current={route.startsWith(href) ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`pill ${up ? 'ok' : 'off'}`} title="live event stream">
          {up ? 'live' : 'offline'}
        </span>
      </header>
      <main>
        {device ? (
          <DevicePage
            key={route}
            deviceId={decodeURIComponent(device[1] ?? '')}
            moduleId={device[2] === undefined ? undefined : decodeURIComponent(device[2])}
          />
        ) : route.startsWith('#/jobs') ? (
          <JobsPage />
        ) : route.startsWith('#/query') ? (
          <QueryPage />
        ) : route.startsWith('#/activity') ? (
          <ActivityPage />
        ) : (
          <DevicesPage />
        )}
      </main>
      <footer class="muted">
        <a href="/assets/licenses.txt">Licences of the bundled packages</a>
      </footer>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
