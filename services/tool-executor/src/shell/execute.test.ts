import type { ToolJob } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DuplicateToolError, execute, maxResultChars, toolCatalogue, ToolInterruptedError } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace } from './memory-workspace.ts';
import { defineTool, type ToolContext, type ToolSpec } from './tool.ts';
import { sha256Of, type OutputKeeper } from './whole-outputs.ts';

const logger = createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' });

function job(tool: string, input: unknown): ToolJob {
  return { sessionId: 'child', correlationId: 'root', callId: 'call-1', tool, input, idempotencyKey: 'root/child/call-1' };
}

/** A clock that moves 5 ms every time it is read. */
function steppingClock(): () => number {
  let now = 1_000;
  return () => (now += 5);
}

function run(tools: ToolSpec[], toolJob: ToolJob, outputs: OutputKeeper = memoryOutputs()) {
  return execute(toolCatalogue(tools), toolJob, { workspace: memoryWorkspace(), outputs, logger, now: steppingClock() });
}

const add = defineTool({
  name: 'math.add',
  description: 'Add two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => ({ sum: a + b }),
});
const shout = defineTool({
  name: 'text.shout',
  description: 'Upper-case a text',
  input: z.object({ text: z.string() }),
  run: async ({ text }) => text.toUpperCase(),
});
const broken = defineTool({
  name: 'broken',
  description: 'Always fails',
  input: z.object({}),
  run: () => {
    throw new Error('upstream said 503; try again later');
  },
});

describe('execute', () => {
  it('returns a text output as it is, timed by the injected clock', async () => {
    expect(await run([shout], job('text.shout', { text: 'hi' }))).toEqual({
      type: 'tool.result',
      sessionId: 'child',
      callId: 'call-1',
      tool: 'text.shout',
      outcome: { status: 'completed', output: 'HI' },
      durationMs: 5,
    });
  });

  it('returns any other output as JSON', async () => {
    const result = await run([add], job('math.add', { a: 2, b: 3 }));
    expect(result.outcome).toEqual({ status: 'completed', output: '{"sum":5}' });
  });

  it('names the tools that exist when asked for one that does not', async () => {
    const result = await run([shout, add], job('math.multiply', { a: 2, b: 3 }));
    expect(result.outcome).toEqual({ status: 'failed', error: 'unknown tool "math.multiply"; the tools available are: math.add, text.shout' });
  });

  it('lists every invalid field so the model can fix its call', async () => {
    const result = await run([add], job('math.add', { a: 'two' }));
    expect(result.outcome).toEqual({
      status: 'failed',
      error: 'invalid input for math.add: a: Invalid input: expected number, received string; b: Invalid input: expected number, received undefined',
    });
  });

  it('says so when the input is not an object at all', async () => {
    const result = await run([add], job('math.add', 'two and three'));
    expect(result.outcome).toEqual({ status: 'failed', error: 'invalid input for math.add: (input): Invalid input: expected object, received string' });
  });

  it('tells a running call to stop when its session is interrupted, and fails it even if the tool ignores its signal', async () => {
    let heard: unknown;
    let started = Promise.withResolvers<void>();
    const listening = defineTool({
      name: 'listens',
      description: 'Waits',
      input: z.object({}),
      run: (_input, { signal }) => {
        started.resolve();
        return new Promise<string>(() => {
          signal.addEventListener('abort', () => {
            heard = signal.reason as unknown;
          });
        });
      },
    });
    const deaf = defineTool({
      name: 'deaf',
      description: 'Waits, ignoring its signal',
      input: z.object({}),
      run: () => {
        started.resolve();
        return new Promise<string>(() => undefined);
      },
    });
    for (const tool of [listening, deaf]) {
      started = Promise.withResolvers<void>();
      const interrupt = new AbortController();
      const running = execute(toolCatalogue([tool]), job(tool.name, {}), { workspace: memoryWorkspace(), outputs: memoryOutputs(), logger, now: steppingClock(), stopped: interrupt.signal });
      await started.promise;
      interrupt.abort(new ToolInterruptedError('cli:ann'));
      expect(await running).toMatchObject({ outcome: { status: 'failed', error: 'stopped before it finished: the session was interrupted by cli:ann' } });
    }
    expect(heard).toBeInstanceOf(ToolInterruptedError);
  });

  it('never runs a call that was stopped before it began (an interrupt heard while it waited)', async () => {
    let ran = false;
    const tool = defineTool({ name: 'counts', description: 'Notes that it ran', input: z.object({}), run: () => ((ran = true), 'ran') });
    const interrupt = new AbortController();
    interrupt.abort(new ToolInterruptedError('cli:ann'));
    const result = await execute(toolCatalogue([tool]), job(tool.name, {}), { workspace: memoryWorkspace(), outputs: memoryOutputs(), logger, now: steppingClock(), stopped: interrupt.signal });
    expect(result.outcome).toMatchObject({ status: 'failed', error: 'stopped before it finished: the session was interrupted by cli:ann' });
    await Promise.resolve();
    expect(ran).toBe(false);
  });

  it('turns a thrown error into a failed result with its message', async () => {
    const result = await run([broken], job('broken', {}));
    expect(result.outcome).toEqual({ status: 'failed', error: 'upstream said 503; try again later' });
  });

  it('keeps an output too long to send whole, and sends its beginning with where the whole is', async () => {
    const stored = new Map<string, string>();
    const whole = 'A'.repeat(maxResultChars + 10);
    const result = await run([shout], job('text.shout', { text: whole.toLowerCase() }), memoryOutputs(stored));
    const sha256 = sha256Of(Buffer.from(whole));
    expect(result.outcome).toEqual({
      status: 'completed',
      output: `${'A'.repeat(maxResultChars)}\n[truncated: 10 of ${maxResultChars + 10} characters not shown; the whole output is stored as tool output ${sha256}]`,
      wholeOutput: { sha256, chars: maxResultChars + 10 },
    });
    expect(stored.get(sha256)).toBe(whole);
  });

  it('sends the beginning of a long output alone when it cannot be stored: the call ran, and the session must hear', async () => {
    const unreachable: OutputKeeper = { keep: async () => Promise.reject(new Error('no responders')) };
    const result = await run([shout], job('text.shout', { text: 'a'.repeat(maxResultChars + 10) }), unreachable);
    expect(result.outcome).toEqual({
      status: 'completed',
      output: `${'A'.repeat(maxResultChars)}\n[truncated: 10 of ${maxResultChars + 10} characters not shown]`,
    });
  });

  it('sends an output at the limit as it is', async () => {
    const result = await run([shout], job('text.shout', { text: 'a'.repeat(maxResultChars) }));
    expect(result.outcome).toEqual({ status: 'completed', output: 'A'.repeat(maxResultChars) });
  });

  it('gives the tool the ids of the call and a live signal', async () => {
    let seen: Omit<ToolContext, 'workspace' | 'logger'> | undefined;
    const spy = defineTool({
      name: 'spy',
      description: 'Remembers its context',
      input: z.object({}),
      run: (_, { sessionId, correlationId, callId, idempotencyKey, namedHosts, secrets, signal }) => {
        seen = { sessionId, correlationId, callId, idempotencyKey, namedHosts, secrets, signal };
        return 'ok';
      },
    });
    await run([spy], job('spy', {}));
    expect(seen).toMatchObject({ sessionId: 'child', correlationId: 'root', callId: 'call-1', idempotencyKey: 'root/child/call-1', namedHosts: [], secrets: {} });
    expect(seen?.signal.aborted).toBe(false);
  });

  it('fails a call that outlives its timeout and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const hang = defineTool({
      name: 'hang',
      description: 'Never finishes',
      input: z.object({}),
      timeoutMs: 20,
      run: (_, context) => {
        signal = context.signal;
        return new Promise(() => {});
      },
    });
    const result = await run([hang], job('hang', {}));
    expect(result.outcome).toEqual({ status: 'failed', error: 'hang did not finish within 20 ms' });
    expect(signal?.aborted).toBe(true);
  });
});

describe('toolCatalogue', () => {
  it('refuses two tools with one name', () => {
    expect(() => toolCatalogue([add, add])).toThrow(DuplicateToolError);
  });
});
