/** IoT Hub device ids: up to 128 ASCII letters, digits and `- : . + % _ # * ? ! ( ) , = @ ; $ '`. */
const DEVICE_ID = /^[A-Za-z0-9\-:.+%_#*?!(),=@;$']{1,128}$/;

export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID.test(id);
}
