import { DEFAULT_MAX_EXECUTION_SECONDS, parseCondition, parseJobRequest } from './request';

const methodJob = {
  jobId: 'j1',
  type: 'scheduleDeviceMethod',
  queryCondition: "tags.site = 'plant-7'",
  cloudToDeviceMethod: { methodName: 'reboot', payload: { a: 1 }, responseTimeoutInSeconds: 30 },
  startTime: null,
};

describe('parseJobRequest', () => {
  it('accepts what JobClient.scheduleDeviceMethod sends, with IoT Hub defaults', () => {
    expect(parseJobRequest('j1', methodJob)).toMatchObject({
      jobId: 'j1',
      type: 'scheduleDeviceMethod',
      queryCondition: "tags.site = 'plant-7'",
      cloudToDeviceMethod: {
        methodName: 'reboot',
        payloadJson: '{"a":1}',
        responseTimeoutInSeconds: 30,
        connectTimeoutInSeconds: 0,
      },
      maxExecutionTimeInSeconds: DEFAULT_MAX_EXECUTION_SECONDS,
    });
    const withStart = parseJobRequest('j1', { ...methodJob, startTime: '2026-05-01T10:00:00.000Z' });
    expect(withStart.startTime?.toISOString()).toBe('2026-05-01T10:00:00.000Z');
  });

  it('accepts a twin update of tags and desired properties, ignoring deviceId and etag', () => {
    const job = parseJobRequest('t1', {
      jobId: 't1',
      type: 'scheduleUpdateTwin',
      queryCondition: 'IS_DEFINED(tags.site)',
      updateTwin: { deviceId: null, etag: '*', tags: { a: 1 }, properties: { desired: { b: 2 } } },
      maxExecutionTimeInSeconds: 60,
    });
    expect(job.updateTwin).toEqual({ tags: { a: 1 }, properties: { desired: { b: 2 } } });
    expect(job.maxExecutionTimeInSeconds).toBe(60);
  });

  it.each([
    ['an invalid id', 'bad/id', methodJob, /A job id has/],
    ['the reserved id "query"', 'query', { ...methodJob, jobId: 'query' }, /not "query"/],
    ['a body id that differs', 'j2', methodJob, /does not match/],
    ['an unknown type', 'j1', { ...methodJob, type: 'export' }, /Invalid job/],
    ['a missing condition', 'j1', { ...methodJob, queryCondition: '' }, /queryCondition is required/],
    [
      'a method job without a method',
      'j1',
      { ...methodJob, cloudToDeviceMethod: undefined },
      /needs cloudToDeviceMethod/,
    ],
    [
      'a method timeout out of range',
      'j1',
      { ...methodJob, cloudToDeviceMethod: { methodName: 'r', responseTimeoutInSeconds: 1 } },
      /responseTimeoutInSeconds/,
    ],
    ['a bad start time', 'j1', { ...methodJob, startTime: 'tomorrow' }, /startTime/],
    ['a zero time limit', 'j1', { ...methodJob, maxExecutionTimeInSeconds: 0 }, /maxExecutionTimeInSeconds/],
    [
      'a twin job without a patch',
      't1',
      { type: 'scheduleUpdateTwin', queryCondition: 'a = 1', updateTwin: { etag: '*' } },
      /needs updateTwin/,
    ],
    [
      'a twin patch with a forbidden key',
      't1',
      { type: 'scheduleUpdateTwin', queryCondition: 'a = 1', updateTwin: { tags: { 'a.b': 1 } } },
      /tags/,
    ],
  ])('refuses %s with 400 ArgumentInvalid', (_label, jobId, body, message) => {
    expect(() => parseJobRequest(jobId, body)).toThrow(
      expect.objectContaining({
        errorName: 'ArgumentInvalid',
        status: 400,
        message: expect.stringMatching(message),
      }),
    );
  });
});

describe('parseCondition', () => {
  it('is the WHERE clause of a twin query', () => {
    expect(parseCondition("deviceId IN ['a', 'b']").where).toMatchObject({ kind: 'in' });
  });

  it('takes "*" as every device, as IoT Hub\'s job examples write it', () => {
    expect(parseCondition('*').where).toBeUndefined();
    expect(parseCondition(' * ').where).toBeUndefined();
    expect(() => parseCondition('* AND deviceId = 1')).toThrow(
      expect.objectContaining({ errorName: 'ArgumentInvalid' }),
    );
  });

  it.each([
    ["tags.site = 'x' AND", 'expected a condition at position 19'],
    ['', 'expected a condition at position 0'],
    ['a = 1) GROUP BY (b', 'at position 16'],
    ['a = 1) GROUP BY b', 'at position 17'],
    ['a = ', 'expected a property path or a literal at position 4'],
  ])('names positions within the condition: %j', (condition, message) => {
    expect(() => parseCondition(condition)).toThrow(
      expect.objectContaining({ errorName: 'ArgumentInvalid', message: expect.stringContaining(message) }),
    );
  });
});
