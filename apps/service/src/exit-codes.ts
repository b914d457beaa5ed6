/** The service app's exit codes: one per way a remote reboot can end, so scripts can tell them apart. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  unauthorized: 3,
  deviceNotFound: 4,
  deviceOffline: 5,
  methodTimedOut: 6,
  deviceError: 7,
  notReported: 8,
  hubUnreachable: 9,
  /** The device reported in its twin that this request's reboot failed (`iothubDM.reboot.status`). */
  rebootFailed: 12,
  /** Fleets: a wave had more failures than `--max-failures`; the later waves were not started. */
  rolloutStopped: 13,
} as const;

/** Machine-readable names of the outcomes, used in `--json` output. */
export type OutcomeCode =
  | 'rebooted'
  | 'unexpected'
  | 'usage'
  | 'unauthorized'
  | 'device-not-found'
  | 'device-offline'
  | 'method-timed-out'
  | 'device-error'
  | 'not-reported'
  | 'reboot-failed'
  | 'skipped'
  | 'hub-unreachable';
