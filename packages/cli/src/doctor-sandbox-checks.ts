import type { SandboxProbe } from './services.ts';
import type { Finding } from './doctor-checks.ts';

/**
 * Whether this machine can run `shell.exec`: a tool executor started here offers it only if so. An
 * error when `SIGNALBOX_EXECUTOR_TOOLS` asks for it (that executor would not start), else a warning.
 */
export function sandboxFindings(probe: SandboxProbe, executorTools: readonly string[] | undefined): Finding[] {
  if (probe.available) {
    const how = probe.backend === 'docker' ? `Docker ${probe.version} runs its commands in containers` : `${probe.backend} ${probe.version} sandboxes its commands`;
    return [{ level: 'ok', message: `shell.exec can run here: ${how} (no network, the system read-only, limits enforced).` }];
  }
  const asked = executorTools?.some((pattern) => pattern === 'shell.exec' || pattern === 'shell.*') ?? false;
  if (asked) {
    return [{ level: 'error', message: `SIGNALBOX_EXECUTOR_TOOLS asks for shell.exec, which cannot run here: ${probe.reason}. A tool executor started like this refuses to start.` }];
  }
  return [{ level: 'warn', message: `shell.exec cannot run here: ${probe.reason}. A tool executor started here does not offer it; run shell.exec on a machine that has the sandbox.` }];
}
