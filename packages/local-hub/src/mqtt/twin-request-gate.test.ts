import { holdBoundMs, TWIN_REQUEST_HOLD_MS, TwinRequestGate } from './twin-request-gate';

/** A request that records what the gate did with it; `answer()` completes it once started. */
function request(log: string[], name: string) {
  let answered: (() => void) | undefined;
  return {
    start: (done: () => void) => {
      log.push(`start ${name}`);
      answered = done;
    },
    refuse: () => log.push(`refuse ${name}`),
    proceed: (err?: Error) => log.push(err ? `drop ${name}` : `proceed ${name}`),
    answer: () => answered?.(),
  };
}

describe('TwinRequestGate', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const connection = {};

  it('runs up to its bound at once, holds the next ones in order and starts one per answer', () => {
    const gate = new TwinRequestGate({ inFlight: 2, held: 10 });
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => request(log, n)) as ReturnType<typeof request>[];
    for (const r of [a, b, c, d]) gate.submit(connection, 'dev', r!, 1000);
    // Held packets have not called aedes' done: their connection is not read on.
    expect(log).toEqual(['start a', 'proceed a', 'start b', 'proceed b']);
    expect(gate.held('dev')).toBe(2);
    b!.answer();
    b!.answer(); // a second call is ignored: it must not free two places
    expect(log.slice(4)).toEqual(['start c', 'proceed c']);
    a!.answer();
    c!.answer();
    d!.answer();
    expect(log.slice(6)).toEqual(['start d', 'proceed d']);
    expect(gate.held('dev')).toBe(0);
    // A newcomer after the flood runs at once: the connection's state was released, not leaked.
    const e = request(log, 'e');
    gate.submit(connection, 'dev', e, 1000);
    expect(log.at(-1)).toBe('proceed e');
  });

  it('answers 429 for a request held past the bound, and lets the connection read on', () => {
    const gate = new TwinRequestGate({ inFlight: 1, held: 10 });
    const log: string[] = [];
    const a = request(log, 'a');
    const b = request(log, 'b');
    gate.submit(connection, 'dev', a, 1000);
    gate.submit(connection, 'dev', b, 1000);
    jest.advanceTimersByTime(999);
    expect(log).toEqual(['start a', 'proceed a']);
    jest.advanceTimersByTime(1);
    expect(log).toEqual(['start a', 'proceed a', 'refuse b', 'proceed b']);
    a.answer();
    expect(log).toHaveLength(4); // b is not started as well
    expect(jest.getTimerCount()).toBe(0);
  });

  it('answers 429 beyond its bound of held requests', () => {
    const gate = new TwinRequestGate({ inFlight: 1, held: 1 });
    const log: string[] = [];
    for (const name of ['a', 'b', 'c']) gate.submit(connection, 'dev', request(log, name), 1000);
    expect(log).toEqual(['start a', 'proceed a', 'refuse c', 'proceed c']);
  });

  it('drops held requests when the connection goes, unhandled, and clears their timers', async () => {
    const gate = new TwinRequestGate({ inFlight: 1, held: 10 });
    const log: string[] = [];
    const a = request(log, 'a');
    gate.submit(connection, 'dev', a, 1000);
    gate.submit(connection, 'dev', request(log, 'b'), 1000);
    gate.submit(connection, 'dev', request(log, 'c'), 1000);
    await gate.whenHeld('dev', 2);
    gate.disconnected(connection);
    expect(log).toEqual(['start a', 'proceed a', 'drop b', 'drop c']);
    expect(jest.getTimerCount()).toBe(0);
    expect(gate.held('dev')).toBe(0);
    // The request in flight is answered later: nothing more starts, and the next connection starts afresh.
    a.answer();
    expect(log).toHaveLength(4);
    const next = {};
    gate.submit(next, 'dev', request(log, 'd'), 1000);
    expect(log.at(-1)).toBe('proceed d');
  });

  it('keeps connections apart: one device over its bound does not hold another', () => {
    const gate = new TwinRequestGate({ inFlight: 1, held: 10 });
    const log: string[] = [];
    gate.submit(connection, 'flooder', request(log, 'a'), 1000);
    gate.submit(connection, 'flooder', request(log, 'b'), 1000);
    gate.submit({}, 'good', request(log, 'c'), 1000);
    expect(log).toEqual(['start a', 'proceed a', 'start c', 'proceed c']);
    expect(gate.held('flooder')).toBe(1);
    expect(gate.held('good')).toBe(0);
  });

  it('holds at most half the client keep-alive, so its pings are read before aedes times it out', () => {
    expect(holdBoundMs(180)).toBe(TWIN_REQUEST_HOLD_MS);
    expect(holdBoundMs(4)).toBe(2000);
    expect(holdBoundMs(0)).toBe(TWIN_REQUEST_HOLD_MS);
    expect(holdBoundMs(undefined)).toBe(TWIN_REQUEST_HOLD_MS);
  });
});
