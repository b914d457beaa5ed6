// One clock for the toolkit's libraries: see @iothub-reboot/contracts.
export { type Clock, sleep, systemClock } from '@iothub-reboot/contracts';
