/**
 * A twin patch or replacement that IoT Hub would refuse. `message` is meant for the caller: it names the
 * offending key path or limit. `InvalidArgument` maps to HTTP 400 / error 400004, `TooLarge` to 400 as well
 * (IoT Hub reports an oversized twin as a bad argument).
 */
export class TwinPatchError extends Error {
  override readonly name = 'TwinPatchError';
  readonly code: 'InvalidArgument' | 'TooLarge';

  constructor(code: 'InvalidArgument' | 'TooLarge', message: string) {
    super(message);
    this.code = code;
  }
}
