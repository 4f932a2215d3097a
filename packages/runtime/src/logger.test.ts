import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('redacts secrets wherever they sit in a logged object and names the service', () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: 'tool-executor',
      instance: 'i1',
      level: 'info',
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.info({ apiKey: 'sk-1', provider: { apiKey: 'sk-2' }, call: { auth: { token: 'tok-3' } } }, 'calling');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ service: 'tool-executor', instance: 'i1', msg: 'calling', apiKey: '[redacted]' });
    expect(lines.join('')).not.toMatch(/sk-1|sk-2|tok-3/);
  });

  it('masks credentials in URLs in messages, logged strings and errors', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 's', instance: 'i', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    logger.info({ nats: 'nats://alice:hunter2@nats:4222' }, 'up at nats://tok-secret@nats:4222');
    logger.error({ err: new Error('failed at nats://alice:hunter2@nats:4222') }, 'failed');
    expect(lines.join('')).not.toMatch(/hunter2|tok-secret/);
    expect(lines.join('')).toContain('nats://alice:***@nats:4222');
  });
});
