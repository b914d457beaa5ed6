import { redactDeep, redactSecrets } from '@iothub-reboot/contracts';
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** Options for {@link createAppLogger}. */
export interface AppLoggerOptions {
  /** Shown on every line (`name` field). */
  name: string;
  /** pino level; default `info`. */
  level?: string;
  /**
   * Human-readable output instead of one JSON object per line. Default: `LOG_FORMAT=pretty|json` from the
   * environment when set (the demo asks its child apps for pretty lines), else whether stdout is a TTY.
   */
  pretty?: boolean;
  /** Where lines go; default stdout (apps whose stdout carries results log to stderr). */
  destination?: NodeJS.WritableStream;
}

/** Field names whose values are secrets wherever they appear in a log object. */
const SECRET_FIELDS = [
  'connectionString',
  'sharedAccessKey',
  'primaryKey',
  'secondaryKey',
  'password',
  'authorization',
  'token',
  'sas',
];

/**
 * The apps' logger: pretty on a TTY, JSON otherwise; secret fields censored and secrets inside any
 * message or error text masked, so a log line never carries a key or a SAS token.
 */
export function createAppLogger(options: AppLoggerOptions): Logger {
  const usePretty = options.pretty ?? prettyByDefault(options.destination ?? process.stdout);
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '***' },
    serializers: { err: serializeError },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)) as Parameters<
          typeof method
        >;
        method.apply(this, cleaned);
      },
    },
  };
  const target = options.destination ?? process.stdout;
  const destination = usePretty
    ? pretty({
        colorize: Boolean((target as NodeJS.WriteStream).isTTY),
        sync: true,
        ignore: 'pid,hostname',
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        destination: target,
      })
    : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(config, destination);
}

function serializeError(err: unknown): unknown {
  // The standard serializer copies every enumerable field (an SDK error's request and response too).
  return redactDeep(pino.stdSerializers.err(err as Error));
}

function prettyByDefault(target: NodeJS.WritableStream): boolean {
  const format = process.env.LOG_FORMAT?.toLowerCase();
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return Boolean((target as NodeJS.WriteStream).isTTY);
}
