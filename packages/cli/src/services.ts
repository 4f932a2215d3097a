import { gatewayService } from '@signalbox/gateway';
import { graderService } from '@signalbox/grader';
import { memoryConsolidatorService } from '@signalbox/memory-consolidator';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { retentionSweeperService } from '@signalbox/retention-sweeper';
import { InProcessPermissions, InProcessTools, type Service } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { supervisorService } from '@signalbox/supervisor';
import { httpFetch, probeSandbox, shellExecTool, toolExecutorService, workspaceTools, type ToolExecutorOptions } from '@signalbox/tool-executor';

// doctor looks where the gateway looks for the console's build.
export { defaultConsoleDir } from '@signalbox/gateway';
// doctor asks the same question the executor does: can shell.exec's sandbox run on this machine.
export { probeSandbox, type SandboxProbe } from '@signalbox/tool-executor';
import type { ServiceName } from './service-names.ts';

/**
 * What the services made for one process share. An actor and an executor share `tools` (with
 * SIGNALBOX_EXECUTOR_IN_PROCESS on, the executor runs the actor's calls directly); an actor and a
 * permission broker share `permissions` (the broker answers the actor's checks without a request).
 */
export interface ProcessPeers {
  tools?: InProcessTools;
  permissions?: InProcessPermissions;
}

/** Every service `signalbox run <service>` can start; `signalbox up` starts them all. */
export const serviceCatalogue: Record<ServiceName, (peers: ProcessPeers) => Service> = {
  'session-actor': ({ tools, permissions }) => sessionActorService({ ...(tools ? { inProcessTools: tools } : {}), ...(permissions ? { inProcessPermissions: permissions } : {}) }),
  // http.fetch reaches public addresses only: an agent still has to list it to use it.
  // shell.exec only where its sandbox runs (else the executor says why at start); SIGNALBOX_EXECUTOR_TOOLS picks a process's tools.
  'tool-executor': ({ tools }) => toolExecutorService(withShell({ tools: [...workspaceTools, httpFetch], ...(tools ? { inProcess: tools } : {}) })),
  // Signs grants only with SIGNALBOX_PERMISSION_BROKER_SEED (or _FILE) set; executors require them only with SIGNALBOX_GRANT_SIGNERS.
  'permission-broker': ({ permissions }) => permissionBrokerService(permissions ? { inProcess: permissions } : {}),
  // Watches every session's log and intervenes (nudge, pause, abort) as the agents' `supervision:` says.
  supervisor: () => supervisorService(),
  // Grades sessions' outcomes (issue #19) from sbx.jobs.grade; function graders need a process of your own (graderService({ graders })).
  grader: () => graderService(),
  // Deletes completed sessions past their agent's `retention` (else SIGNALBOX_RETENTION); with neither set it deletes nothing.
  'retention-sweeper': () => retentionSweeperService(),
  // Consolidates memory stores from finished sessions (issue #21): dream jobs from sbx.jobs.dream, and each store's schedule.
  'memory-consolidator': () => memoryConsolidatorService(),
  // The HTTP API and the web console, on 127.0.0.1:8470 unless SIGNALBOX_GATEWAY_HOST/PORT say otherwise; callers need a token (signalbox tokens create).
  gateway: () => gatewayService(),
};

/** The services of one process, sharing what an actor shares with the executors and brokers beside it. */
export function servicesNamed(names: readonly string[]): Service[] {
  const withActor = (name: ServiceName) => names.includes('session-actor') && names.includes(name);
  const peers: ProcessPeers = {
    ...(withActor('tool-executor') ? { tools: new InProcessTools() } : {}),
    ...(withActor('permission-broker') ? { permissions: new InProcessPermissions() } : {}),
  };
  return names.map((name) => {
    const make = (serviceCatalogue as Record<string, ((peers: ProcessPeers) => Service) | undefined>)[name];
    if (!make) throw new Error(`unknown service "${name}"; services: ${Object.keys(serviceCatalogue).join(', ')}`);
    return make(peers);
  });
}

/**
 * The options with shell.exec added when this machine can sandbox it (bubblewrap, else a Docker
 * container), else with it named unavailable, and why.
 */
function withShell(options: ToolExecutorOptions): ToolExecutorOptions {
  const probe = probeSandbox();
  if (probe.available) return { ...options, tools: [...options.tools, shellExecTool({ backend: probe.backend })] };
  return { ...options, unavailable: [...(options.unavailable ?? []), { tool: 'shell.exec', reason: probe.reason }] };
}
