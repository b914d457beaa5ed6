import {
  errorMessage,
  loggable,
  OperationTimeoutError,
  RebootHandlerError,
  RetriesExhaustedError,
} from './errors';
import { captureLogger } from './test-support/fake-client';

describe('errorMessage', () => {
  it('keeps the message of an Error, a string, or anything else, without a stack', () => {
    expect(errorMessage(new Error('relay stuck'))).toBe('relay stuck');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
  });

  it('masks connection-string keys and SAS token parts', () => {
    const cs = 'HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=c2VjcmV0PQ==';
    expect(errorMessage(new Error(`cannot use ${cs}`))).toBe(
      'cannot use HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=***',
    );
    const sas = 'SharedAccessSignature sr=h%2Fdevices%2Fd&sig=abc%3D&se=1700000000&skn=device';
    expect(errorMessage(`bad token ${sas}`)).not.toMatch(/abc|1700000000/);
  });
});

describe('error classes', () => {
  it('are typed, named, and carry their details', () => {
    const timeout = new OperationTimeoutError('getTwin', 500);
    expect(timeout).toBeInstanceOf(RebootHandlerError);
    expect(timeout).toMatchObject({ name: 'OperationTimeoutError', operation: 'getTwin', timeoutMs: 500 });
    const exhausted = new RetriesExhaustedError('report', 3, timeout);
    expect(exhausted).toMatchObject({ name: 'RetriesExhaustedError', attempts: 3, cause: timeout });
    expect(exhausted.message).toBe(
      'report failed after 3 attempt(s): getTwin did not complete within 500 ms',
    );
  });
});

describe('loggable', () => {
  it('keeps the class and masks secrets in message, stack, properties and cause', () => {
    const cause = new Error('token SharedAccessSignature sr=h&sig=c2lnbmF0dXJl&se=1');
    const err = Object.assign(new OperationTimeoutError('getTwin', 5), {
      cause,
      detail: 'SharedAccessKey=a2V5',
    });
    err.message = 'with SharedAccessKey=a2V5';
    err.stack = `OperationTimeoutError: with SharedAccessKey=a2V5\n    at x`;
    const { logger, lines } = captureLogger();
    logger.error({ err: loggable(err) }, 'failed');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/a2V5|c2lnbmF0dXJl/);
    expect(lines[0]?.err).toMatchObject({
      type: 'OperationTimeoutError',
      operation: 'getTwin',
      timeoutMs: 5,
    });
    expect(err.message).toBe('with SharedAccessKey=a2V5');
  });

  it('passes values that are not errors through the same masking', () => {
    expect(loggable('SharedAccessKey=a2V5')).toBe('SharedAccessKey=***');
    expect(loggable(undefined)).toBeUndefined();
  });
});
