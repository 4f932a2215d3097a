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

  it('censors secrets in bindings, in arrays and in an error\'s own fields, and masks URL credentials in bindings', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 's', instance: 'i', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const child = logger.child({ token: 'tok-1', upstream: 'nats://alice:hunter2@nats:4222', provider: { apiKey: 'sk-2' } });
    const failure = Object.assign(new Error('refused'), { password: 'pw-3' });
    child.error({ err: failure, calls: [{ secret: 'sec-4' }] }, 'failed');
    const line = JSON.parse(lines[0] ?? '{}') as { token: string; err: { message: string; type: string; password: string }; calls: { secret: string }[] };
    expect(lines.join('')).not.toMatch(/tok-1|hunter2|sk-2|pw-3|sec-4/);
    expect(line.token).toBe('[redacted]');
    expect(line.calls[0]?.secret).toBe('[redacted]');
    // The error is still serialized as one: its message and type survive the censoring.
    expect(line.err).toMatchObject({ message: 'refused', type: 'Error', password: '[redacted]' });
  });

  it('leaves the logged object as it was', () => {
    const logger = createLogger({ service: 's', instance: 'i', level: 'info', destination: { write: () => undefined } });
    const logged = { apiKey: 'sk-1', call: { auth: { token: 'tok-2' } }, url: 'nats://alice:hunter2@nats:4222' };
    const before = structuredClone(logged);
    logger.info(logged, 'calling');
    expect(logged).toEqual(before);
  });

  it('looks for secrets two objects down, no deeper, so a deeply nested value costs no more than a shallow one', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 's', instance: 'i', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    let nested: Record<string, unknown> = { leaf: true };
    for (let depth = 0; depth < 10_000; depth++) nested = { inner: nested };
    expect(() => logger.info({ a: { b: { token: 'tok-1' } }, nested }, 'deep')).not.toThrow();
    expect(lines.join('')).not.toContain('tok-1');
  });

  it("keeps each child's bindings under its children's, censored at every level", () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 's', instance: 'i', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    logger.child({ sessionId: 'ses-1', token: 'tok-1' }).child({ callId: 'call-2', auth: { password: 'pw-2' } }).info('ran');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 's', sessionId: 'ses-1', token: '[redacted]', callId: 'call-2', auth: { password: '[redacted]' }, msg: 'ran' });
  });
});

