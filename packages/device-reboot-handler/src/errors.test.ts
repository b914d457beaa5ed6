import { errorMessage, OperationTimeoutError, RebootHandlerError, RetriesExhaustedError } from './errors';

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
    expect(errorMessage(`bad token ${sas}`)).toBe(
      'bad token SharedAccessSignature sr=h%2Fdevices%2Fd&sig=***&se=***&skn=***',
    );
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
