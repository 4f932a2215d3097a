import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxCommand, SandboxLimits, type HostLayout } from '../core/sandbox-plan.ts';

/** Whether `shell.exec` can run here, and if not, why: what `doctor` shows and what an executor logs. */
export type SandboxProbe = { available: true; backend: 'bubblewrap'; version: string } | { available: false; reason: string };

/** Which of the top-level system directories are links into /usr on this host (merged /usr), and where they point. */
export function hostLayout(): HostLayout {
  const usrLinks: Record<string, string> = {};
  for (const directory of ['/bin', '/sbin', '/lib', '/lib32', '/lib64']) {
    try {
      if (lstatSync(directory).isSymbolicLink()) usrLinks[directory] = readlinkSync(directory);
    } catch {
      // Not on this host: bound "if present", so nothing to do.
    }
  }
  return { usrLinks };
}

/**
 * Runs `true` in the sandbox `shell.exec` would use, with its namespaces and limits: bwrap installed is
 * not enough (a container may forbid user namespaces). Synchronous: it takes milliseconds, once, at start.
 */
export function probeSandbox(): SandboxProbe {
  const version = spawnSync('bwrap', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (version.error || version.status !== 0) return { available: false, reason: 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap' };
  const dir = mkdtempSync(join(tmpdir(), 'signalbox-sandbox-probe-'));
  // The sandbox's uid binds it: it must be able to reach it.
  chmodSync(dir, 0o755);
  try {
    const runAs = process.getuid?.() === 0 ? 65534 : undefined;
    const command = sandboxCommand({ scratchDir: dir, command: 'true', limits: SandboxLimits.parse({}), secrets: {}, host: hostLayout(), ...(runAs === undefined ? {} : { runAs }) });
    // Its fourth pipe is the info fd the command line names.
    const run = spawnSync(command.file, command.args, { env: command.env, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    if (run.error) return { available: false, reason: `${command.file} could not start: ${run.error.message}` };
    if (run.status !== 0) return { available: false, reason: `bwrap cannot make its sandbox here (user namespaces off, or a container forbids them): ${run.stderr.trim() || `exit ${run.status}`}` };
    return { available: true, backend: 'bubblewrap', version: version.stdout.trim().replace(/^bubblewrap\s+/, '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
