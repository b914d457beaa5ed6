import { HubError } from '../errors';

/**
 * The URL of a request from its origin-form target (`/path?query`). The target is appended to a fixed
 * origin rather than resolved against it: `//x/devices` must stay the path `//x/devices`, not become host
 * `x` and path `/devices`. Anything else is refused with 400 instead of surfacing as a thrown TypeError.
 */
export function requestUrl(target: string | undefined): URL {
  if (target === undefined || !target.startsWith('/')) {
    throw new HubError('ArgumentInvalid', 'The request target must be a path.');
  }
  try {
    return new URL(`https://hub${target}`);
  } catch {
    throw new HubError('ArgumentInvalid', 'The request URL is malformed.');
  }
}
