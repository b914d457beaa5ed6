import pino, { type Logger } from 'pino';

/**
 * The default logger of every handler, keeper and start-up report: one silent pino instance per process
 * instead of one per call, so a process running thousands of devices (a gateway, a simulator) does not
 * build a logger and its stdout stream for each. Nothing is written, so the destination is a no-op.
 */
export const silentLogger: Logger = pino({ level: 'silent' }, { write: () => undefined });
