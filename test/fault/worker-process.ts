// A Signalbox worker process for fault injection: `node worker-process.ts <service...>`.
// Runs the named services against NATS_URL with two extra tools: `ledger.record`, which appends
// its idempotency key to the file at FAULT_LEDGER on every real execution, so a test can count them,
// and `fault.poll`, which answers the same every time (for a loop a supervisor must catch).
import { appendFileSync } from 'node:fs';
import { configFromEnv, startHost, startTimerForwarder, stopOnSignals, createLogger, type Service } from '@signalbox/runtime';
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

/** A tool that answers the same every time, after a moment: what an agent stuck polling calls again and again. */
const pollTool = defineTool({
  name: 'fault.poll',
  description: 'Reports what is new',
  input: z.object({}),
  run: async () => (await new Promise((resolve) => setTimeout(resolve, Number(process.env['FAULT_TOOL_MS'] ?? 5))), 'nothing new'),
});

const catalogue: Record<string, () => Service> = {
  'session-actor': () => sessionActorService(),
  'permission-broker': () => permissionBrokerService(),
  'tool-executor': () => toolExecutorService({ tools: [recordTool, pollTool] }),
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
