import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// jest runs without --expose-gc; turning the flag on at run time makes a fresh context see `gc`.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live JS heap plus Buffer memory after a full collection: what a leak in the hub would grow. */
export function liveBytes(): number {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

export const MB = 1024 * 1024;
