import { PassThrough } from 'node:stream';
import { createAppLogger } from './logger';

const KEY = 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=';
const CS = `HostName=h;DeviceId=d1;SharedAccessKey=${KEY}`;

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('createAppLogger', () => {
  it('writes JSON lines with the app name and never a key, wherever it appears', () => {
    const out = capture();
    const logger = createAppLogger({
      name: 'device',
      pretty: false,
      destination: out.stream,
      level: 'debug',
    });
    logger.info({ connectionString: CS, nested: { sharedAccessKey: KEY } }, `connecting with ${CS}`);
    logger.error({ err: new Error(`open failed for ${CS}`) }, 'failed');
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      name: 'device',
      connectionString: '***',
      nested: { sharedAccessKey: '***' },
    });
    expect(lines[0]?.msg).toBe('connecting with HostName=h;DeviceId=d1;SharedAccessKey=***');
    expect(out.text()).not.toContain(KEY);
  });

  it('masks secrets inside the request an SDK error carries', () => {
    const out = capture();
    const logger = createAppLogger({ name: 'service', pretty: false, destination: out.stream });
    const err = Object.assign(new Error('Unauthorized'), {
      request: {
        headers: {
          Authorization: 'SharedAccessSignature sr=h&sig=c2VjcmV0c2lnbmF0dXJl&se=1&skn=iothubowner',
        },
      },
      response: { body: `echo HostName=h;SharedAccessKey=${KEY}` },
    });
    logger.warn({ err }, 'call failed');
    expect(out.text()).not.toContain('c2VjcmV0c2lnbmF0dXJl');
    expect(out.text()).not.toContain(KEY);
    expect(out.text()).toContain('Unauthorized');
  });

  it('respects the level', () => {
    const out = capture();
    const logger = createAppLogger({ name: 'x', pretty: false, destination: out.stream, level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    expect(out.text()).toContain('shown');
    expect(out.text()).not.toContain('hidden');
  });
});
