import { methodMeters, parseQuotaSpec, quotaRates } from './rates';

describe('IoT Hub quota rates ("IoT Hub quotas and throttling")', () => {
  it('S1 with one unit: twin reads 100/s, updates 50/s, methods 160 KB/s, queries 20/min, jobs 100/min', () => {
    const rates = quotaRates({ tier: 'S1', units: 1 });
    expect(rates.twinReads).toEqual({ perSecond: 100, burst: 100 });
    expect(rates.twinUpdates).toEqual({ perSecond: 50, burst: 50 });
    expect(rates.directMethods).toEqual({ perSecond: 40, burst: 40 });
    expect(rates.queries.burst).toBeCloseTo(20);
    expect(rates.queries.perSecond).toBeCloseTo(20 / 60);
    expect(rates.jobsOperations.burst).toBeCloseTo(100);
    expect(rates.deviceConnections).toEqual({ perSecond: 100, burst: 100 });
    expect(rates.jobDeviceOperations).toEqual({ perSecond: 10, burst: 10 });
    expect(rates.registryOperations.burst).toBeCloseTo(100);
    expect(rates.registryOperations.perSecond).toBeCloseTo(100 / 60);
    expect(rates.deviceToCloudSends).toEqual({ perSecond: 100, burst: 100 });
  });

  it('applies "higher of" floors and per-unit scaling', () => {
    expect(quotaRates({ tier: 'S1', units: 9 }).deviceConnections.perSecond).toBe(108);
    expect(quotaRates({ tier: 'S1', units: 9 }).twinReads.perSecond).toBe(100);
    expect(quotaRates({ tier: 'S2', units: 3 }).twinReads.perSecond).toBe(100);
    expect(quotaRates({ tier: 'S2', units: 20 }).twinReads.perSecond).toBe(200);
    expect(quotaRates({ tier: 'S2', units: 2 }).directMethods.perSecond).toBe(240);
    expect(quotaRates({ tier: 'S3', units: 2 }).twinUpdates.perSecond).toBe(500);
    expect(quotaRates({ tier: 'S3', units: 1 }).queries.burst).toBeCloseTo(1000);
    expect(quotaRates({ tier: 'S2', units: 30 }).jobDeviceOperations.perSecond).toBe(30);
    expect(quotaRates({ tier: 'S2', units: 3 }).jobDeviceOperations.perSecond).toBe(10);
    expect(quotaRates({ tier: 'S3', units: 2 }).jobDeviceOperations.perSecond).toBe(100);
    expect(quotaRates({ tier: 'S3', units: 1 }).registryOperations.burst).toBeCloseTo(5000);
    expect(quotaRates({ tier: 'S1', units: 9 }).deviceToCloudSends.perSecond).toBe(108);
    expect(quotaRates({ tier: 'S2', units: 2 }).deviceToCloudSends.perSecond).toBe(240);
  });

  it('meters direct methods in 4 KB', () => {
    expect([0, 1, 4096, 4097, 8192, 128 * 1024].map(methodMeters)).toEqual([1, 1, 1, 2, 2, 32]);
  });

  it.each([
    ['S1', { tier: 'S1', units: 1 }],
    ['s2:3', { tier: 'S2', units: 3 }],
    [' S3:200 ', { tier: 'S3', units: 200 }],
  ])('parses %j', (text, spec) => {
    expect(parseQuotaSpec(text)).toEqual(spec);
  });

  it.each(['F1', 'S4', 'S1:0', 'S1:201', 'S1:1.5', 'S1:', ''])('refuses %j with a message', (text) => {
    expect(typeof parseQuotaSpec(text)).toBe('string');
  });
});
