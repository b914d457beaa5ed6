import { labelLines } from './labelled-lines';

describe('labelLines', () => {
  it('labels whole lines across chunk boundaries and flushes the last partial line', () => {
    const out: string[] = [];
    const lines = labelLines('[device]', (l) => out.push(l));
    lines.write('first li');
    lines.write(Buffer.from('ne\nsecond\r\nthi'));
    expect(out).toEqual(['[device] first line', '[device] second']);
    lines.write('rd');
    lines.flush();
    expect(out).toEqual(['[device] first line', '[device] second', '[device] third']);
  });

  it('keeps multi-byte characters split between chunks intact', () => {
    const out: string[] = [];
    const lines = labelLines('[hub]', (l) => out.push(l));
    const bytes = Buffer.from('ünïcödé\n');
    lines.write(bytes.subarray(0, 1));
    lines.write(bytes.subarray(1));
    expect(out).toEqual(['[hub] ünïcödé']);
  });
});
