import { z } from 'zod';
import { requestHubError, throwAsHubError, toHubError } from './error-translation';
import { HubError } from './errors';
import { QueryContinuationError, QuerySyntaxError } from './query/errors';
import { TwinPatchError } from './twin/errors';

function zodError(): z.ZodError {
  const result = z.object({ n: z.number() }).safeParse({ n: 'x' });
  if (result.success) throw new Error('expected a zod failure');
  return result.error;
}

describe('requestHubError', () => {
  it('keeps a HubError as it is', () => {
    const error = new HubError('DeviceNotFound', 'gone');
    expect(requestHubError(error, 'job')).toBe(error);
  });

  it.each([
    ['a twin patch error', new TwinPatchError('TooLarge', 'twin too large')],
    ['a query syntax error', new QuerySyntaxError('Unexpected token', 7)],
    ['a continuation error', new QueryContinuationError('Malformed continuation token')],
  ])('makes %s a 400 ArgumentInvalid with its message', (_label, err) => {
    expect(requestHubError(err)).toMatchObject({
      status: 400,
      errorName: 'ArgumentInvalid',
      message: err.message,
    });
  });

  it('makes a zod error one readable line, named after its subject when given', () => {
    expect(requestHubError(zodError())?.message).not.toMatch(/\n/);
    expect(requestHubError(zodError(), 'job')).toMatchObject({
      errorName: 'ArgumentInvalid',
      message: expect.stringMatching(/^Invalid job: .*n/),
    });
  });

  it('leaves anything else to the caller', () => {
    expect(requestHubError(new Error('bug'))).toBeUndefined();
    expect(() => throwAsHubError(new TypeError('bug'))).toThrow(TypeError);
    expect(() => throwAsHubError(new QueryContinuationError('bad'))).toThrow(HubError);
  });
});

describe('toHubError', () => {
  it('hides unexpected errors behind a 500', () => {
    const error = toHubError(new Error('secret internals'));
    expect([error.status, error.errorName]).toEqual([500, 'ServerError']);
    expect(error.message).not.toContain('secret');
  });
});
