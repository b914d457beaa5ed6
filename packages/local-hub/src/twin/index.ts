/**
 * Device twin rules of IoT Hub as pure functions: validation of patches, merge-patch with `$version` and
 * `$metadata` bookkeeping, size limits, and the documents the device (MQTT) and service (REST) sides see.
 * Nothing here does I/O or reads the clock: callers pass `now`.
 */
export { toDesiredPatchMessage, toDeviceTwinDocument, toServiceTwinDocument } from './documents';
export { TwinPatchError } from './errors';
export { TWIN_LIMITS } from './limits';
export { applyTwinPatch, createTwin, replaceTwinSection } from './twin';
export type { DeviceFacts, JsonObject, JsonValue, PropertySet, TwinRecord, TwinSection } from './types';
export { validateTwinPatch } from './validate';
