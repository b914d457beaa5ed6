import { stripVTControlCharacters } from 'node:util';
import { createAppLogger } from '@iothub-reboot/app-kit';
import { createStatusLine, formatElapsed, type StatusStream } from './progress';

/**
 * A fake terminal: keeps what the written bytes leave on screen (`\r` returns to column 0, `ESC[2K`
 * erases the row, `\n` starts a new one), which is what a user sees of interleaved writes.
 */
function fakeTerminal(columns = 200) {
  const rows: string[] = [''];
  let col = 0;
  const stream: StatusStream & { writes: string[] } = {
    isTTY: true,
    columns,
    writes: [],
    write(text: string) {
      stream.writes.push(text);
      for (let i = 0; i < text.length; i++) {
        if (text.startsWith('\x1b[2K', i)) {
          rows[rows.length - 1] = '';
          i += 3;
        } else if (text[i] === '\r') col = 0;
        else if (text[i] === '\n') {
          rows.push('');
          col = 0;
        } else {
          const row = rows[rows.length - 1] ?? '';
          rows[rows.length - 1] = row.slice(0, col).padEnd(col) + text[i] + row.slice(col + 1);
          col++;
        }
      }
      return true;
    },
  };
  return { stream, rows };
}

function clock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('status line on a TTY', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('prints a log line written mid-progress on a line of its own, then redraws the progress below it', () => {
    const { stream, rows } = fakeTerminal();
    const time = clock();
    const status = createStatusLine(stream, { now: time.now });
    const logger = createAppLogger({ name: 'service', pretty: false, destination: status.logs });

    status.progress.update('poll 1/15: not rebooted yet');
    logger.warn('hub error, retrying');
    time.advance(1500);
    status.progress.update('poll 2/15: reboot reported');

    const logRow = rows.find((row) => row.includes('hub error, retrying'));
    expect(logRow).toBeDefined();
    // The log row is exactly one pino JSON line: no spinner, no progress text before or after it.
    expect(JSON.parse(logRow as string)).toMatchObject({
      level: 40,
      name: 'service',
      msg: 'hub error, retrying',
    });
    expect(rows.at(-1)).toMatch(/^\S 1\.5 s {2}poll 2\/15: reboot reported$/);
    expect(rows.filter((row) => row.includes('poll'))).toHaveLength(1);

    status.progress.done();
    expect(rows.at(-1)).toBe('');
    logger.flush();
  });

  it('pretty log lines (the TTY default) do not collide either', () => {
    const { stream, rows } = fakeTerminal();
    const status = createStatusLine(stream, { now: clock().now });
    const logger = createAppLogger({ name: 'service', destination: status.logs });

    status.progress.update('waiting for dev-1 to answer');
    logger.info('cancelled the job');

    // Colours on (a TTY): compare without them.
    const logRow =
      stripVTControlCharacters(rows.find((row) => row.includes('cancelled the job')) ?? '') ?? '';
    expect(logRow).toMatch(/^\[[\d:.]+\] INFO \(service\): cancelled the job$/);
    expect(logRow).not.toContain('waiting for');
    expect(rows.at(-1)).toContain('waiting for dev-1 to answer');
    status.progress.done();
  });

  it('prints stdout prose above the progress line', () => {
    const { stream, rows } = fakeTerminal();
    const status = createStatusLine(stream, { now: clock().now });
    status.progress.update('confirming: 3/10 rebooted');
    // stdout and stderr on one terminal: the same screen.
    status.print(() => stream.write('Scheduled job j-1\n'));
    expect(rows).toContain('Scheduled job j-1');
    expect(rows.at(-1)).toMatch(/confirming: 3\/10 rebooted$/);
    status.progress.done();
  });

  it('keeps the elapsed time moving while nothing updates the text (redrawn every 100 ms)', () => {
    const { stream, rows } = fakeTerminal();
    const time = clock();
    const status = createStatusLine(stream, { now: time.now });
    status.progress.update('waiting for dev-1 to answer');
    expect(rows.at(-1)).toContain(' 0.0 s  waiting');
    time.advance(12_300);
    jest.advanceTimersByTime(100);
    expect(rows.at(-1)).toContain(' 12.3 s  waiting');

    status.progress.done();
    const writes = stream.writes.length;
    jest.advanceTimersByTime(1000);
    // done() stopped the redraws.
    expect(stream.writes).toHaveLength(writes);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('cuts the line to the terminal width, so clearing it clears all of it', () => {
    const { stream, rows } = fakeTerminal(20);
    const status = createStatusLine(stream, { now: clock().now });
    status.progress.update('a progress text far longer than twenty columns');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveLength(19);
    status.progress.done();
  });
});

describe('status line when stderr is not a TTY', () => {
  it('writes plain lines: no carriage returns, no escape codes, no redraw timer', () => {
    const writes: string[] = [];
    const stream: StatusStream = { isTTY: false, write: (text) => writes.push(text) };
    const status = createStatusLine(stream);
    const logger = createAppLogger({ name: 'service', destination: status.logs });
    status.progress.update('poll 1/15: not rebooted yet');
    logger.info('a log line');
    status.progress.update('poll 2/15: reboot reported');
    status.progress.done();

    expect(writes[0]).toBe('poll 1/15: not rebooted yet\n');
    expect(JSON.parse(writes[1] as string)).toMatchObject({ msg: 'a log line' });
    expect(writes[2]).toBe('poll 2/15: reboot reported\n');
    expect(writes.join('')).not.toContain('\r');
    expect(writes.join('')).not.toContain('\x1b');
  });
});

describe('formatElapsed', () => {
  it.each([
    [0, '0.0 s'],
    [12_345, '12.3 s'],
    [-5, '0.0 s'],
  ])('%d ms is %s', (ms, text) => expect(formatElapsed(ms)).toBe(text));
});
