// A Signalbox worker process for fault injection: `node worker-process.ts <service...>`.
// Runs the named services against NATS_URL with three extra tools: `ledger.record`, which appends
// its idempotency key to the file at FAULT_LEDGER on every real execution, so a test can count them;
// `ledger.note`, which does the same but is safe to run twice (so SIGNALBOX_EXECUTOR_IN_PROCESS runs it
// in the actor's process); and `fault.poll`, which answers the same every time (for a loop a supervisor must catch).
import { appendFileSync } from 'node:fs';
import { configFromEnv, InProcessPermissions, InProcessTools, startHost, startTimerForwarder, stopOnSignals, createLogger, type Service } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { z } from 'zod';

const ledgerFile = process.env['FAULT_LEDGER'];
if (!ledgerFile) throw new Error('set FAULT_LEDGER to the file that records tool executions');

const recordTool = defineTool({
  name: 'ledger.record',
  description: 'Records that it ran',
  input: z.object({ note: z.string() }),
  // A tool with a side effect that must not happen twice.
  idempotent: false,
  run: async ({ note }, context) => {
    await new Promise((resolve) => setTimeout(resolve, Number(process.env['FAULT_TOOL_MS'] ?? 5)));
    appendFileSync(ledgerFile, `${context.idempotencyKey}\n`);
    return `recorded ${note}`;
  },
});

/** As `ledger.record`, for a side effect that may happen twice. */
const noteTool = defineTool({
  name: 'ledger.note',
  description: 'Records that it ran; safe to run again',
  input: z.object({ note: z.string() }),
  run: async ({ note }, context) => {
    await new Promise((resolve) => setTimeout(resolve, Number(process.env['FAULT_TOOL_MS'] ?? 5)));
    appendFileSync(ledgerFile, `${context.idempotencyKey}\n`);
    return `noted ${note}`;
  },
});

/** A tool that answers the same every time, after a moment: what an agent stuck polling calls again and again. */
const pollTool = defineTool({
  name: 'fault.poll',
  description: 'Reports what is new',
  input: z.object({}),
  run: async () => (await new Promise((resolve) => setTimeout(resolve, Number(process.env['FAULT_TOOL_MS'] ?? 5))), 'nothing new'),
});

// An actor and an executor of this process share it; the executor serves it with SIGNALBOX_EXECUTOR_IN_PROCESS on.
const inProcess = new InProcessTools();
// An actor and a broker of this process share it, as `signalbox run` makes them.
const inProcessPermissions = new InProcessPermissions();
const catalogue: Record<string, () => Service> = {
  'session-actor': () => sessionActorService({ inProcessTools: inProcess, inProcessPermissions }),
  'permission-broker': () => permissionBrokerService({ inProcess: inProcessPermissions }),
  'tool-executor': () => toolExecutorService({ tools: [recordTool, noteTool, pollTool], inProcess }),
  supervisor: () => supervisorService(),
  // The timer forwarder alone (the session actor runs one too), so a test can kill it without an actor taking the inbox.
  'timer-forwarder': () => ({
    name: 'timer-forwarder',
    start: ({ nc, names, logger, config }) => startTimerForwarder({ nc, names, logger, ackWaitMs: config.ackWaitMs }),
  }),
};

const config = configFromEnv();
const host = await startHost(
  process.argv.slice(2).map((name) => {
    const make = catalogue[name];
    if (!make) throw new Error(`unknown service ${name}`);
    return make();
  }),
  config,
);
stopOnSignals(host, createLogger({ service: 'fault-worker', instance: config.instance, level: config.logLevel }));
process.stdout.write('ready\n');
