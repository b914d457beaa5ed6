/**
 * What a start-up has opened so far, closed in reverse order: a start that fails half-way undoes exactly
 * what it did, and a stop closes the same things the same way.
 */
export class Closers {
  private readonly stack: { what: string; close: () => Promise<void> }[] = [];

  /** Remembers how to close `what`; returns `opened` so a start reads `const x = closers.add(...)`. */
  add<T>(what: string, opened: T, close: (opened: T) => Promise<void>): T {
    this.stack.push({ what, close: () => close(opened) });
    return opened;
  }

  /** Closes everything, newest first; a failure is reported to `onError` and does not stop the rest. */
  async closeAll(onError: (what: string, err: unknown) => void = () => undefined): Promise<void> {
    for (const { what, close } of this.stack.splice(0).reverse()) {
      await close().catch((err: unknown) => onError(what, err));
    }
  }
}
