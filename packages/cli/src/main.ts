#!/usr/bin/env node
import { Command } from 'commander';
import type { GlobalOptions } from './connection.ts';
import type { DoctorFlags } from './doctor.ts';
import { serviceNames } from './service-names.ts';
import { applyAgents, inspectSession, listSessions, submitTask, tailSession, type SubmitFlags } from './session-commands.ts';

const program = new Command('signalbox')
  .description('A self-hosted runtime for AI agents on NATS JetStream')
  .option('--nats <url>', 'NATS server URL (default: $NATS_URL, then nats://127.0.0.1:4222)')
  .option('--prefix <prefix>', 'subject and stream prefix', process.env['SIGNALBOX_PREFIX'] ?? 'sbx')
  .showHelpAfterError();

const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();

program
  .command('up')
  .description('run every service in this process (starts a local nats-server if none is reachable)')
  .action(async (_options, command: Command) => (await import('./host-commands.ts')).up(globals(command)));

program
  .command('run')
  .description(`run some services in this process: ${serviceNames.join(', ')}`)
  .argument('<service...>')
  .action(async (services: string[], _options, command: Command) => (await import('./host-commands.ts')).run(globals(command), services));

program
  .command('demo')
  .description('run a scripted agent end to end and print its timeline')
  .action(async (_options, command: Command) => (await import('./demo.ts')).demo(globals(command)));

program
  .command('agents')
  .description('manage agent definitions')
  .command('apply')
  .description('apply agent definitions from a YAML or JSON file')
  .requiredOption('-f, --file <file>')
  .option('--json', 'print the stored definitions as JSON')
  .action((options: { file: string }, command: Command) => applyAgents(globals(command), options.file));

program
  .command('submit')
  .description('submit a task to an agent and print the session id')
  .argument('<agent>')
  .argument('<input>')
  .option('--session-id <id>', 'make the submission idempotent under this session id')
  .option('--max-steps <n>', "override the agent's step budget")
  .option('--follow', 'print the timeline until the session completes')
  .option('--json', 'print JSON')
  .action((agent: string, input: string, flags: SubmitFlags, command: Command) => submitTask(globals(command), agent, input, flags));

program
  .command('tail')
  .description("print a session's events live until it completes")
  .argument('<sessionId>')
  .option('--json', 'one JSON event per line')
  .action((sessionId: string, _options, command: Command) => tailSession(globals(command), sessionId));

program
  .command('sessions')
  .description('list sessions, newest first')
  .option('--json', 'print JSON')
  .action((_options, command: Command) => listSessions(globals(command)));

program
  .command('inspect')
  .description("print a session's events and what it came to")
  .argument('<sessionId>')
  .option('--json', 'print JSON')
  .action((sessionId: string, _options, command: Command) => inspectSession(globals(command), sessionId));

program
  .command('doctor')
  .description('check the NATS server and the Signalbox streams: version, JetStream, replication and fsync settings')
  .option('--monitor <url>', "nats-server's monitoring URL, to read sync_interval (default: http://<nats host>:8222)")
  .option('--json', 'print { facts, findings } as JSON')
  .action(async (flags: DoctorFlags, command: Command) => {
    process.exitCode = await (await import('./doctor.ts')).doctor(globals(command), flags);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`signalbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
