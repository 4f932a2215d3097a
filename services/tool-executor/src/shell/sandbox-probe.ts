import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerCommand, containerName, defaultShellImage, dockerCliEnvironment } from '../core/container-plan.ts';
import { sandboxCommand, SandboxLimits, type HostLayout } from '../core/sandbox-plan.ts';

/** Whether `shell.exec` can run here, and if not, why: what `doctor` shows and what an executor logs. */
export type SandboxProbe = { available: true; backend: 'bubblewrap' | 'docker'; version: string } | { available: false; reason: string };

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
 * The backend `shell.exec` uses here: bubblewrap where it runs, else Docker where its daemon answers and
 * the shell image is there; when neither, why not, for both.
 */
export function probeSandbox(image = defaultShellImage): SandboxProbe {
  const bubblewrap = probeBubblewrap();
  if (bubblewrap.available) return bubblewrap;
  const docker = probeDocker(image);
  return docker.available ? docker : { available: false, reason: `${bubblewrap.reason}; and no container backend: ${docker.reason}` };
}

/**
 * Runs `true` in a container as `shell.exec`'s docker backend would, with its limits: a daemon that
 * answers is not enough (the image may be missing, or the host refuse a limit). About a second, once, at start.
 */
export function probeDocker(image = defaultShellImage): SandboxProbe {
  const docker = (args: string[], timeout = 10_000) => spawnSync('docker', args, { env: dockerCliEnvironment, encoding: 'utf8', timeout });
  const info = docker(['info', '--format', '{{.ServerVersion}}'], 5_000);
  if (info.error || info.status !== 0) return { available: false, reason: `docker does not answer (docker info: ${info.error?.message ?? (info.stderr.trim() || `exit ${info.status}`)})` };
  if (docker(['image', 'inspect', image]).status !== 0) return { available: false, reason: `the image ${image} is not built: scripts/shell-image.sh builds it` };
  const dir = mkdtempSync(join(tmpdir(), 'signalbox-container-probe-'));
  const name = containerName(`probe-${process.pid}-${Date.now()}`);
  try {
    const command = containerCommand({ image, name, scratchDir: dir, command: 'true', limits: SandboxLimits.parse({}), user: { uid: 65534, gid: 65534 }, secrets: {} });
    const run = spawnSync(command.file, command.args, { env: command.env, encoding: 'utf8', timeout: 20_000 });
    if (run.error || run.status !== 0) return { available: false, reason: `a container could not run with shell.exec's limits: ${run.error?.message ?? (run.stderr.trim() || `exit ${run.status}`)}` };
    return { available: true, backend: 'docker', version: info.stdout.trim() };
  } finally {
    docker(['rm', '--force', name]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `true` in the sandbox `shell.exec` would use, with its namespaces and limits: bwrap installed is
 * not enough (a container may forbid user namespaces). Synchronous: it takes milliseconds, once, at start.
 */
export function probeBubblewrap(): SandboxProbe {
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
