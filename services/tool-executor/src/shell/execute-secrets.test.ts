import type { ToolJob, ToolOutcome } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { execute, toolCatalogue, type ExecutionEnvironment } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace } from './memory-workspace.ts';
import { defineTool, type ToolOptions, type ToolSpec } from './tool.ts';

const logger = createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' });
const token = 'ghp_canary-5c1b9e77';
const vault: Record<string, string> = { GITHUB_TOKEN: token, NPM_TOKEN: 'npm_other-value-1' };
const job = (tool: string, input: unknown = {}): ToolJob => ({ sessionId: 's', correlationId: 's', callId: 'c', tool, input, idempotencyKey: 's/s/c' });

/** Opens from the map above, counting what was opened. */
function opener(opened: string[] = []) {
  return async (name: string) => {
    opened.push(name);
    const value = vault[name];
    if (value === undefined) throw new Error(`there is no secret ${name} in the vault`);
    return value;
  };
}

async function outcome(tool: ToolSpec, environment: Partial<ExecutionEnvironment>, input: unknown = {}): Promise<ToolOutcome> {
  const result = await execute(toolCatalogue([tool]), job(tool.name, input), { workspace: memoryWorkspace(), outputs: memoryOutputs(), logger, now: () => 0, ...environment });
  return result.outcome;
}

const echoOptions = {
  name: 'secret.echo',
  description: 'Echoes its token in every form',
  input: z.object({}),
  secrets: ['GITHUB_TOKEN'],
  run: (_, { secrets }) => {
    const value = secrets['GITHUB_TOKEN'] ?? '';
    return { plain: value, base64: Buffer.from(value).toString('base64'), url: encodeURIComponent(`${value}&`), seen: Object.keys(secrets) };
  },
} satisfies ToolOptions<z.ZodObject>;
const echo = defineTool(echoOptions);

describe('a tool that declares a secret', () => {
  it('gets the granted value in its context, and its output is masked before it is recorded', async () => {
    const opened: string[] = [];
    const result = await outcome(echo, { grant: { secrets: ['GITHUB_TOKEN', 'NPM_TOKEN'] }, openSecret: opener(opened) });
    expect(result).toEqual({
      status: 'completed',
      output: JSON.stringify({ plain: '[secret:GITHUB_TOKEN]', base64: '[secret:GITHUB_TOKEN]', url: '[secret:GITHUB_TOKEN]%26', seen: ['GITHUB_TOKEN'] }),
    });
    // Only what the tool declares is opened, not everything granted.
    expect(opened).toEqual(['GITHUB_TOKEN']);
  });

  it('fails without running when the grant does not give it, naming the secret', async () => {
    let ran = false;
    const tool = defineTool({ ...echoOptions, name: 'secret.echo', secrets: ['GITHUB_TOKEN'], run: () => ((ran = true), 'x') });
    expect(await outcome(tool, { grant: { secrets: ['NPM_TOKEN'] }, openSecret: opener() })).toEqual({
      status: 'failed',
      error: "secret.echo needs the secret GITHUB_TOKEN: the call's policy does not grant it",
    });
    expect(await outcome(tool, { openSecret: opener() })).toEqual({
      status: 'failed',
      error: 'secret.echo needs the secret GITHUB_TOKEN: this executor checks no grants (SIGNALBOX_GRANT_SIGNERS), so it opens no secret',
    });
    expect(ran).toBe(false);
  });

  it('fails, naming the secret and not its value, when the vault cannot open it or there is none', async () => {
    const missing = defineTool({ ...echoOptions, name: 'secret.missing', secrets: ['ABSENT'] });
    expect(await outcome(missing, { grant: { secrets: ['ABSENT'] }, openSecret: opener() })).toEqual({
      status: 'failed',
      error: 'secret.missing needs the secret ABSENT, which cannot be opened: there is no secret ABSENT in the vault',
    });
    expect(await outcome(echo, { grant: { secrets: ['GITHUB_TOKEN'] } })).toMatchObject({ status: 'failed', error: expect.stringMatching(/has no vault/) });
  });

  it('has an error that echoes the value masked too', async () => {
    const leaky = defineTool({
      name: 'secret.leaky',
      description: 'Throws with its token in the message',
      input: z.object({}),
      secrets: ['GITHUB_TOKEN'],
      run: (_, { secrets }) => {
        throw new Error(`401 for token ${secrets['GITHUB_TOKEN'] ?? ''} (${Buffer.from(`x:${secrets['GITHUB_TOKEN'] ?? ''}`).toString('base64')})`);
      },
    });
    expect(await outcome(leaky, { grant: { secrets: ['GITHUB_TOKEN'] }, openSecret: opener() })).toEqual({ status: 'failed', error: '401 for token [secret:GITHUB_TOKEN] ([secret:GITHUB_TOKEN])' });
  });

  it('writes the value into its workspace masked', async () => {
    const workspace = memoryWorkspace();
    const writer = defineTool({
      name: 'secret.writer',
      description: 'Writes its token to a file',
      input: z.object({}),
      secrets: ['GITHUB_TOKEN'],
      run: async (_, context) => (await context.workspace.write('env', new TextEncoder().encode(`TOKEN=${context.secrets['GITHUB_TOKEN'] ?? ''}`)), 'written'),
    });
    await outcome(writer, { workspace, grant: { secrets: ['GITHUB_TOKEN'] }, openSecret: opener() });
    expect(new TextDecoder().decode(await workspace.read('env'))).toBe('TOKEN=[secret:GITHUB_TOKEN]');
  });

  it('is refused when defined with a name no secret can have', () => {
    expect(() => defineTool({ ...echoOptions, name: 'bad', secrets: ['sbx.>'] })).toThrow(/declares the secret "sbx.>", which is no secret name/);
  });
});

describe('a tool holding a secret that logs it', () => {
  it('logs it masked: message, fields, errors and child bindings', async () => {
    const lines: string[] = [];
    const captured = createLogger({ service: 'tool-executor', instance: 'test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const chatty = defineTool({
      name: 'secret.chatty',
      description: 'Logs its token',
      input: z.object({}),
      secrets: ['GITHUB_TOKEN'],
      run: (_, { secrets, logger }) => {
        const value = secrets['GITHUB_TOKEN'] ?? '';
        logger.info({ header: `Bearer ${value}`, nested: { list: [value] } }, `calling with ${value}`);
        logger.child({ bound: value }).warn({ err: new Error(`refused ${value}`) }, 'failed');
        return 'ok';
      },
    });
    await outcome(chatty, { logger: captured, grant: { secrets: ['GITHUB_TOKEN'] }, openSecret: opener() });
    const logged = lines.join('\n');
    expect(lines).toHaveLength(2);
    expect(logged).not.toContain(token);
    expect(logged).toContain('calling with [secret:GITHUB_TOKEN]');
    expect(logged).toContain('refused [secret:GITHUB_TOKEN]');
  });
});
