/**
 * A count another thread bumps (`Atomics.add(new Int32Array(buffer), 0, 1)`) and this one reads at any
 * instant, without a message round trip. The flood suites use it to count the flooder's answers while a
 * well-behaved client waits for one of its own: work measured against work done at the same moment, so
 * the machine's speed and its other load cancel out, where a latency measured before the flood and
 * compared with one measured during it does not.
 */
export class SharedCount {
  /** Hand this to the other thread (`workerData`). */
  readonly buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  private readonly view = new Int32Array(this.buffer);

  get value(): number {
    return Atomics.load(this.view, 0);
  }

  /** How far the other thread counted while `work` ran. */
  async during(work: () => Promise<unknown>): Promise<number> {
    const before = this.value;
    await work();
    return this.value - before;
  }
}
