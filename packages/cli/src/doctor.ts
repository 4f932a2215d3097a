import { tracingFindings } from './doctor-tracing-checks.ts';
import { inProcessFindings } from './doctor-in-process-checks.ts';
import { naming } from '@signalbox/events';
import { configFromEnv, maskedConfig, maskNatsUrl, natsAuthProblems, type NatsAuth, type RuntimeConfig, type TracingSettings } from '@signalbox/runtime';
import { defaultEventPartitions, permissionRefusal, readVaultKeys } from '@signalbox/store';
import type { Finding } from './doctor-checks.ts';
import { diagnose, featuresOf, refusalFindings } from './doctor-checks.ts';
import { defaultMonitorUrl, gatherFacts, readMonitor, type DoctorSettings } from './doctor-facts.ts';
import { formatFindings, formatReport } from './doctor-report.ts';
import { sandboxFindings } from './doctor-sandbox-checks.ts';
import { defaultConsoleDir, probeSandbox } from './services.ts';
import { connectTo, natsAuthOf, natsUrlOf, useColour, type GlobalOptions } from './connection.ts';

export interface DoctorFlags {
  /** nats-server's monitoring URL, to read `sync_interval`; default `http://<nats host>:8222`. */
  monitor?: string;
  json?: boolean;
}

/** Where the report goes: stdout by default, a collector in tests. */
export interface DoctorOutput {
  write(line: string): void;
  colour: boolean;
}

const stdout: DoctorOutput = { write: (line) => console.log(line), colour: useColour() };

/** Prints what the server and streams look like and what to fix; resolves to the exit code (1 when a finding is an error). */
export async function doctor(options: GlobalOptions, flags: DoctorFlags, output: DoctorOutput = stdout): Promise<number> {
  const url = natsUrlOf(options);
  const auth = natsAuthOf(options);
  const refused = authFindings(url, auth);
  if (refused.length > 0) return reportEarly(url, refused, flags, output);
  // No SignalboxClient: it needs the streams, and doctor must also run before they exist.
  const nc = await connectTo(url, auth, { reconnect: false });
  try {
    const monitor = await readMonitor(flags.monitor ?? defaultMonitorUrl(url));
    const settings = effectiveConfig();
    const gathered = await gatherFacts(nc, naming(options.prefix), maskNatsUrl(url), monitor, settings).catch((error: unknown) => {
      const refusal = permissionRefusal(error);
      if (!refusal) throw error;
      return refusalFindings({ operation: refusal.operation, subject: refusal.subject, inboxPrefix: auth.inboxPrefix ?? '_INBOX' });
    });
    if (Array.isArray(gathered)) return reportEarly(url, gathered, flags, output);
    const facts = gathered;
    const findings = [
      ...diagnose(facts),
      ...settings.findings,
      ...sandboxFindings(probeSandbox(), settings.executorTools),
      ...(settings.tracing ? tracingFindings(settings.tracing) : []),
      ...(settings.inProcess === undefined ? [] : inProcessFindings(settings.inProcess)),
    ];
    if (flags.json) output.write(JSON.stringify({ facts, features: featuresOf(facts.server.version), config: settings.config, findings }, null, 2));
    else for (const line of formatReport(facts, findings, output.colour)) output.write(line);
    return findings.some((finding) => finding.level === 'error') ? 1 : 0;
  } finally {
    await nc.close();
  }
}

/** Findings that end doctor before it has facts to report (credentials it cannot use, a user kept from reading): exit 1. */
function reportEarly(url: string, findings: Finding[], flags: DoctorFlags, output: DoctorOutput): number {
  if (flags.json) output.write(JSON.stringify({ natsUrl: maskNatsUrl(url), findings }, null, 2));
  else for (const line of [`signalbox doctor · ${maskNatsUrl(url)}`, '', ...formatFindings(findings, output.colour)]) output.write(line);
  return 1;
}

/** Credentials that contradict each other or cannot be read: each an error, found before connecting. */
function authFindings(url: string, auth: NatsAuth): Finding[] {
  return natsAuthProblems(url, auth).map((problem) => ({ level: 'error', message: `${problem}. Fix the NATS credentials (SIGNALBOX_NATS_* or --nats-* flags).` }));
}

/** The configuration this environment gives every Signalbox process, keys masked; a setting it cannot use is an error finding. */
function effectiveConfig(): DoctorSettings & { config?: unknown; findings: Finding[]; executorTools?: readonly string[]; tracing?: TracingSettings; inProcess?: boolean } {
  try {
    const config = configFromEnv();
    const vault = vaultKeyIds(config);
    const { tools: executorTools } = config.toolExecutor;
    return {
      config: maskedConfig(config),
      eventPartitions: config.eventPartitions,
      grantSigners: config.toolExecutor.grantSigners,
      vaultKeys: vault.keys,
      providers: config.models.providers,
      ...(config.retention ? { retention: config.retention } : {}),
      gateway: { host: config.gateway.host, port: config.gateway.port, consoleDir: config.gateway.consoleDir ?? defaultConsoleDir },
      ...(executorTools ? { executorTools } : {}),
      findings: vault.findings,
      tracing: config.tracing,
      inProcess: config.toolExecutor.inProcess,
    };
  } catch (error) {
    return {
      eventPartitions: defaultEventPartitions,
      grantSigners: [],
      vaultKeys: {},
      findings: [{ level: 'error', message: `${(error as Error).message}. Fix the variable, or unset it for the default.` }],
    };
  }
}

/** The ids of the vault keys the key files here hold; a file that holds none is an error (executors would not start). */
function vaultKeyIds(config: RuntimeConfig): { keys: DoctorSettings['vaultKeys']; findings: Finding[] } {
  try {
    const { current, previous } = readVaultKeys(config.secrets);
    return { keys: { ...(current ? { current: current.id } : {}), ...(previous ? { previous: previous.id } : {}) }, findings: [] };
  } catch (error) {
    return { keys: {}, findings: [{ level: 'error', message: `${(error as Error).message}. Fix the key file, or unset the variable.` }] };
  }
}
