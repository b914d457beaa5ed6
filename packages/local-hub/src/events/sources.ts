import type { ConnectionStates } from '../connections/presence';
import { HubError } from '../errors';
import type { DeviceJobRecord, JobRecord } from '../jobs/model';
import type { MethodInvoker } from '../methods/invoker';
import { parseIdentityKey } from '../registry/identity';
import type { HubState } from '../state';
import type { TwinRecord } from '../twin';
import type { HubEventBus } from './bus';

/**
 * Feeds the bus from the hub's own state: durable store writes (twins, devices, modules, jobs and their
 * per-device records), connection presence and method outcomes. Returns the function that detaches every
 * feed. Twins, presence and method calls key a module by `<deviceId>/<moduleId>` (its MQTT client id);
 * events carry the two ids apart, so no watcher has to take a key apart.
 */
export function feedHubEvents(
  bus: HubEventBus,
  sources: { store: HubState; presence: ConnectionStates; invoker: MethodInvoker },
): () => void {
  const detach = [
    sources.store.watch((collection, key, value) => {
      if (!bus.hasListeners) return;
      switch (collection) {
        case 'twins':
          if (value !== undefined) {
            bus.emit({ type: 'twin', ...parseIdentityKey(key), version: (value as TwinRecord).version });
          }
          return;
        case 'devices':
        case 'modules':
          bus.emit({
            type: 'device',
            ...parseIdentityKey(key),
            change: value === undefined ? 'removed' : 'changed',
          });
          return;
        case 'jobs':
          if (value !== undefined) {
            const job = value as JobRecord;
            bus.emit({ type: 'job', jobId: job.jobId, status: job.status });
          }
          return;
        case 'deviceJobs':
          if (value !== undefined) {
            const record = value as DeviceJobRecord;
            bus.emit({
              type: 'job-device',
              jobId: record.jobId,
              deviceId: record.deviceId,
              status: record.status,
            });
          }
          return;
        default:
          return;
      }
    }),
    sources.presence.watch((key, state) => bus.emit({ type: 'connection', ...parseIdentityKey(key), state })),
    sources.invoker.watch((key, methodName, outcome, durationMs) =>
      bus.emit({
        type: 'method',
        ...parseIdentityKey(key),
        methodName,
        durationMs,
        ...(outcome instanceof HubError
          ? { status: outcome.status, error: outcome.errorName }
          : { status: outcome.status }),
      }),
    ),
  ];
  return () => {
    for (const off of detach) off();
  };
}
