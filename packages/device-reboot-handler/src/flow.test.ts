import { ContractError, safeParseRebootRequest } from '@iothub-reboot/contracts';
import fc from 'fast-check';
import {
  admitRequest,
  advance,
  decodePayload,
  FIRST_STEP,
  type FlowStep,
  firstStep,
  flowMode,
  RESPONSE_MODES,
  type ResponseMode,
  resolvePendingRecord,
  type StepOutcome,
  type Transition,
} from './flow';

const at = new Date('2026-11-28T04:00:05.000Z');
const ok: StepOutcome = { ok: true, at };
const failed = (message: string): StepOutcome => ({ ok: false, error: new Error(message) });

describe('admitRequest', () => {
  it('answers 400 with the readable contract error for a bad payload', () => {
    const parsed = safeParseRebootRequest({ delaySeconds: -1 });
    const admission = admitRequest(false, parsed);
    expect(admission).toMatchObject({ start: false, response: { result: 'bad-request' } });
    if (!admission.start && admission.response.result === 'bad-request') {
      expect(admission.response.error).toMatch(/delaySeconds/);
    }
  });

  it('answers 409 while busy, and starts otherwise', () => {
    const parsed = safeParseRebootRequest({ reason: 'update' });
    expect(admitRequest(true, parsed)).toMatchObject({ start: false, response: { result: 'busy' } });
    expect(admitRequest(false, parsed)).toEqual({ start: true, request: { reason: 'update' } });
  });

  it('checks the payload before busyness', () => {
    const bad = { success: false as const, error: new ContractError('x', 'broken') };
    expect(admitRequest(true, bad)).toMatchObject({ response: { result: 'bad-request' } });
  });
});

describe('advance (report-then-respond)', () => {
  const mode = 'report-then-respond';

  it('walks persist → reboot → record → report → clear, then answers 200', () => {
    expect(advance(mode, FIRST_STEP, ok)).toEqual({ next: { step: 'reboot' } });
    expect(advance(mode, { step: 'reboot' }, ok)).toEqual({ next: { step: 'record', rebootTime: at } });
    expect(advance(mode, { step: 'record', rebootTime: at }, ok)).toEqual({
      next: { step: 'report', rebootTime: at },
    });
    expect(advance(mode, { step: 'report', rebootTime: at }, ok)).toEqual({
      next: { step: 'clear', rebootTime: at },
    });
    expect(advance(mode, { step: 'clear', rebootTime: at }, ok)).toEqual({
      respond: {
        result: 'rebooted',
        rebootTime: at.toISOString(),
        message: `Device rebooted at ${at.toISOString()}.`,
      },
    });
  });

  it('does not reboot when the record cannot be persisted', () => {
    expect(advance(mode, FIRST_STEP, failed('disk full'))).toEqual({
      respond: {
        result: 'reboot-failed',
        error: 'Could not record the pending reboot, so the device did not reboot: disk full',
      },
    });
  });

  it('reports failed, then answers 500 with the action message and discards the record when the action throws', () => {
    const error = new Error('watchdog refused');
    expect(advance(mode, { step: 'reboot' }, { ok: false, error })).toEqual({
      next: { step: 'report-failure', error },
    });
    for (const outcome of [ok, failed('twin down')]) {
      expect(advance(mode, { step: 'report-failure', error }, outcome)).toEqual({
        respond: { result: 'reboot-failed', error: 'watchdog refused' },
        next: { step: 'discard' },
      });
    }
    expect(advance(mode, { step: 'discard' }, failed('gone'))).toEqual({});
  });

  it('never announces rebooting (one twin round trip on the fast path)', () => {
    expect(advance(mode, FIRST_STEP, ok).next).toEqual({ step: 'reboot' });
  });

  it('still reports when the record update fails, and still answers 200 when clearing fails', () => {
    expect(advance(mode, { step: 'record', rebootTime: at }, failed('io'))).toEqual({
      next: { step: 'report', rebootTime: at },
    });
    expect(advance(mode, { step: 'clear', rebootTime: at }, failed('io'))).toMatchObject({
      respond: { result: 'rebooted' },
    });
  });

  it('answers 500 report-failed and keeps the report owed when the twin report fails', () => {
    const transition = advance(mode, { step: 'report', rebootTime: at }, failed('throttled'));
    expect(transition.reportOwed).toEqual(at);
    expect(transition.next).toBeUndefined();
    expect(transition.respond).toMatchObject({ result: 'report-failed', rebootTime: at.toISOString() });
    expect(transition.respond).toHaveProperty('error', expect.stringMatching(/rebooted.*throttled/));
  });
});

describe('advance (respond-then-reboot)', () => {
  const mode = 'respond-then-reboot';

  it('answers 202 once the record is persisted, reports rebooting, and answers nothing after that', () => {
    expect(advance(mode, FIRST_STEP, ok)).toMatchObject({
      respond: { result: 'accepted' },
      next: { step: 'announce' },
    });
    // The accepted reboot goes ahead whether the `rebooting` report landed or not.
    expect(advance(mode, { step: 'announce' }, ok)).toEqual({ next: { step: 'reboot' } });
    expect(advance(mode, { step: 'announce' }, failed('x'))).toEqual({ next: { step: 'reboot' } });
    expect(advance(mode, { step: 'reboot' }, failed('x'))).toMatchObject({
      next: { step: 'report-failure' },
    });
    expect(advance(mode, { step: 'report-failure', error: 'x' }, ok)).toEqual({ next: { step: 'discard' } });
    expect(advance(mode, { step: 'report', rebootTime: at }, failed('x'))).toEqual({ reportOwed: at });
    expect(advance(mode, { step: 'clear', rebootTime: at }, ok)).toEqual({});
  });

  it('a scheduled reboot: 202 naming the time, rebooting, wait, then reboot; a cancelled wait is a failure', () => {
    const until = new Date(at.getTime() + 60_000);
    expect(flowMode('report-then-respond', until)).toBe('respond-then-reboot');
    expect(flowMode('report-then-respond', undefined)).toBe('report-then-respond');
    const persisted = advance(mode, firstStep(until), ok);
    expect(persisted).toMatchObject({
      respond: {
        result: 'accepted',
        message: expect.stringContaining(`scheduled for ${until.toISOString()}`),
      },
      next: { step: 'announce', scheduledFor: until },
    });
    expect(advance(mode, { step: 'announce', scheduledFor: until }, failed('x'))).toEqual({
      next: { step: 'wait', until },
    });
    expect(advance(mode, { step: 'wait', until }, ok)).toEqual({ next: { step: 'reboot' } });
    expect(advance(mode, { step: 'wait', until }, failed('detached'))).toMatchObject({
      next: { step: 'report-failure' },
    });
  });

  it('answers 500 when the record cannot be persisted (nothing was accepted)', () => {
    expect(advance(mode, FIRST_STEP, failed('x'))).toMatchObject({ respond: { result: 'reboot-failed' } });
  });
});

describe('any sequence of step outcomes', () => {
  const outcome = fc.oneof(
    fc.constant<StepOutcome>(ok),
    fc.string().map((m): StepOutcome => failed(m)),
  );

  it('ends with exactly one answer, and reports only a reboot that happened', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ResponseMode>(...RESPONSE_MODES),
        fc.array(outcome, { minLength: 7, maxLength: 7 }),
        (mode, outcomes) => {
          let step: FlowStep | undefined = FIRST_STEP;
          const answers: Transition['respond'][] = [];
          let rebooted = false;
          for (const result of outcomes) {
            if (step === undefined) break;
            if (step.step === 'report') expect(rebooted).toBe(true);
            if (step.step === 'reboot' && result.ok) rebooted = true;
            const transition = advance(mode, step, result);
            if (transition.respond) answers.push(transition.respond);
            step = transition.next;
          }
          expect(step).toBeUndefined();
          expect(answers).toHaveLength(1);
        },
      ),
    );
  });
});

describe('resolvePendingRecord', () => {
  const startedAt = new Date('2026-11-28T04:10:00.000Z');
  const base = { version: 1, requestId: 'r', acceptedAt: '2026-11-28T04:00:00.000Z' } as const;

  it('reports a rebooted record with its own time', () => {
    expect(
      resolvePendingRecord({ ...base, phase: 'rebooted', rebootTime: at.toISOString() }, startedAt),
    ).toEqual({
      action: 'report',
      rebootTime: at,
      recoveredFromRestart: false,
    });
  });

  it('treats a rebooting record from before this process as a reboot completed at process start', () => {
    expect(resolvePendingRecord({ ...base, phase: 'rebooting' }, startedAt)).toEqual({
      action: 'report',
      rebootTime: startedAt,
      recoveredFromRestart: true,
    });
  });

  it('discards a rebooting record from this process life (its reboot never completed)', () => {
    const record = { ...base, phase: 'rebooting', acceptedAt: '2026-11-28T04:20:00.000Z' } as const;
    expect(resolvePendingRecord(record, startedAt)).toEqual({ action: 'discard' });
  });
});

describe('decodePayload', () => {
  it('turns raw bytes into text and leaves parsed JSON alone', () => {
    expect(decodePayload(Buffer.from('{"reason":"x"}'))).toBe('{"reason":"x"}');
    expect(decodePayload(new TextEncoder().encode('null'))).toBe('null');
    const parsed = { reason: 'x' };
    expect(decodePayload(parsed)).toBe(parsed);
  });
});
