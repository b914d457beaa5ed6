import type { TwinSection } from './types';

/** IoT Hub twin limits ("Understand and use device twins in IoT Hub", section "Tags and properties format"). */
export const TWIN_LIMITS = {
  /** Longest key, in UTF-8 bytes. */
  keyBytes: 1024,
  /** Longest string value, in UTF-8 bytes. */
  stringBytes: 4096,
  /** Deepest nesting of objects/arrays below a section root. */
  depth: 10,
  /** Section size as compact JSON in UTF-8 bytes, without `$metadata`/`$version`. */
  sectionBytes: { tags: 8 * 1024, desired: 32 * 1024, reported: 32 * 1024 } satisfies Record<
    TwinSection,
    number
  >,
} as const;

/** UTF-8 size of a string, the unit in which IoT Hub meters keys, values and sections. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
