import { totalPolls } from './bounds';

describe('totalPolls', () => {
  const base = { methodName: 'm', payload: {}, responseTimeoutSeconds: 5, connectTimeoutSeconds: 0 };

  it('is --max-polls, plus the polls a scheduled reboot spans', () => {
    expect(totalPolls({ ...base, pollIntervalMs: 1000, maxPolls: 10 })).toBe(10);
    expect(totalPolls({ ...base, pollIntervalMs: 1000, maxPolls: 10, delaySeconds: 30 })).toBe(40);
    expect(totalPolls({ ...base, pollIntervalMs: 400, maxPolls: 10, delaySeconds: 1 })).toBe(13);
  });
});
