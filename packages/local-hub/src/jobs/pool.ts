/**
 * Runs `work` over `items`, at most `concurrency` at a time, taking a next item only while `proceed()` holds.
 * Resolves once every item it started has settled; rejects with the first failure of `work`.
 */
export async function runBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  proceed: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    while (proceed()) {
      const next = iterator.next();
      if (next.done) return;
      await work(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
