import { describe, expect, it } from 'vitest';
import { sandboxFindings } from './doctor-sandbox-checks.ts';

const missing = { available: false, reason: 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap' } as const;

describe('sandboxFindings', () => {
  it('says shell.exec can run, with the sandbox and its version', () => {
    expect(sandboxFindings({ available: true, backend: 'bubblewrap', version: '0.8.0' }, undefined)).toEqual([
      { level: 'ok', message: expect.stringMatching(/^shell\.exec can run here: bubblewrap 0\.8\.0 sandboxes/) as string },
    ]);
  });

  it('says so when Docker containers run them instead', () => {
    expect(sandboxFindings({ available: true, backend: 'docker', version: '20.10.24' }, ['shell.exec'])).toEqual([
      { level: 'ok', message: expect.stringMatching(/^shell\.exec can run here: Docker 20\.10\.24 runs its commands in containers \(no network/) as string },
    ]);
  });

  it('warns that executors here will not offer shell.exec, and why', () => {
    expect(sandboxFindings(missing, undefined)).toEqual([{ level: 'warn', message: expect.stringContaining('cannot run here: bubblewrap (bwrap) is not installed') as string }]);
    expect(sandboxFindings(missing, ['workspace.*'])).toMatchObject([{ level: 'warn' }]);
  });

  it('is an error when SIGNALBOX_EXECUTOR_TOOLS asks for shell.exec here', () => {
    expect(sandboxFindings(missing, ['shell.exec'])).toMatchObject([{ level: 'error', message: expect.stringMatching(/^SIGNALBOX_EXECUTOR_TOOLS asks for shell\.exec/) as string }]);
    expect(sandboxFindings(missing, ['shell.*'])).toMatchObject([{ level: 'error' }]);
  });
});
