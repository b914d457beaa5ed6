import { parseArgs } from 'node:util';
import { CliError } from './cli';
import { numberFlag, withUsageErrors } from './options';

describe('numberFlag', () => {
  it('returns the fallback when the flag is absent and the value when in bounds', () => {
    expect(numberFlag('--n', undefined, 5, { min: 0, max: 10 })).toBe(5);
    expect(numberFlag('--n', undefined, undefined, { min: 0, max: 10 })).toBeUndefined();
    expect(numberFlag('--n', '2.5', 5, { min: 0, max: 10 })).toBe(2.5);
  });

  it.each(['', ' ', 'x', '11', '-1', 'NaN', 'Infinity'])(
    'rejects %p with a usage error naming the flag',
    (text) => {
      expect(() => numberFlag('--n', text, 5, { min: 0, max: 10 })).toThrow(
        /--n must be a number from 0 to 10/,
      );
    },
  );

  it('rejects fractions for whole-number flags', () => {
    expect(() => numberFlag('--count', '1.5', 1, { min: 0, max: 9, integer: true })).toThrow(
      /--count must be a whole number/,
    );
  });
});

describe('withUsageErrors', () => {
  it('turns unknown flags into a usage error with exit code 2', () => {
    let thrown: unknown;
    try {
      withUsageErrors(() => parseArgs({ args: ['--what'], options: {}, strict: true }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toMatch(/--what/);
  });

  // Node's own parseArgs errors (Node 20.19+), as users hit them, each on one line.
  it.each<[string[], string]>([
    [['--version'], 'unknown option --version (see --help)'],
    [['--seconds', '-1'], 'needs a value (for one starting with "-", write --seconds=<value>) (see --help)'],
    [['--seconds'], '--seconds needs a value (see --help)'],
    [['--flag=yes'], '--flag takes no value (see --help)'],
    [['extra'], 'unexpected argument "extra" (see --help)'],
  ])('says %j in one line', (args, message) => {
    let thrown: unknown;
    try {
      withUsageErrors(() =>
        parseArgs({
          args,
          options: { seconds: { type: 'string' }, flag: { type: 'boolean' } },
          strict: true,
          allowPositionals: false,
        }),
      );
    } catch (err) {
      thrown = err;
    }
    expect((thrown as CliError).message).toContain(message);
    expect((thrown as CliError).message).not.toContain('\n');
  });
});
