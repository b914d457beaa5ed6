// The test kit's ManualClock (exported from `@iothub-reboot/local-hub/testing`), for this package's own suites.
export { ManualClock } from '../testing/manual-clock';
