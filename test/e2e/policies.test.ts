import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';

// Storing policies from files with `signalbox policies`, against a real server.

let server: NatsServer;
let dir: string;
let env: NodeJS.ProcessEnv;

const signalbox = (...args: string[]) => runCli(args, { env, timeoutMs: 45_000 });

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  server = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), 'sbx-policies-'));
  env = { ...process.env, NATS_URL: server.url, LOG_LEVEL: 'silent', NO_COLOR: '1', SIGNALBOX_PREFIX: 'sbx', NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
});

afterAll(async () => {
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('signalbox policies', { timeout: 120_000 }, () => {
  it('applies a policy again with a higher version, lists it and shows it as stored', async () => {
    const path = await file('staging.yaml', 'name: staging\nrules:\n  - { effect: allow, tool: "workspace.*" }\n');
    const first = await signalbox('policies', 'apply', '-f', path, '--json');
    const second = await signalbox('policies', 'apply', '-f', path, '--json');
    const [v1, v2] = [first, second].map((run) => (JSON.parse(run.stdout) as { name: string; version: number }).version);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(v2).toBeGreaterThan(v1 ?? Infinity);

    expect((await signalbox('policies')).stdout).toMatch(new RegExp(`^staging +version ${v2}\\n$`));
    const shown = await signalbox('policies', 'show', 'staging');
    expect(shown.stdout).toBe(`name: staging\nrules:\n  - effect: allow\n    tool: workspace.*\ndefault: deny\nversion: ${v2}\n`);
    const json = await signalbox('policies', 'show', 'staging', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'staging', version: v2 });
    expect(await signalbox('policies', 'show', 'production')).toMatchObject({ code: 1, stderr: expect.stringContaining('no policy production') });
  });

  it('refuses a file with a problem, naming its file, line and column, and stores nothing', async () => {
    const path = await file('bad.yaml', 'name: broken\nrules:\n  - effect: maybe\n    tool: http.fetch\n');
    expect(await signalbox('policies', 'apply', '-f', path)).toEqual({
      code: 1,
      stdout: '',
      stderr: `${path}:3:13: rules[0].effect: Invalid option: expected one of "allow"|"ask"|"deny"\n`,
    });
    expect((await signalbox('policies', 'list', '--json')).stdout).not.toContain('broken');
  });

  it('agents apply warns of a policy not stored, and --strict refuses the agent', async () => {
    const path = await file('agent.yaml', 'name: guarded\nmodel: scripted\nscript: [{ final: done }]\npolicy: production\n');
    const warned = await signalbox('agents', 'apply', '-f', path);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('warning: agent "guarded": policy "production" is not stored');
    const strict = await signalbox('agents', 'apply', '-f', path, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('error: agent "guarded": policy "production" is not stored');
  });
});
