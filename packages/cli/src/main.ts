#!/usr/bin/env node
import { Command } from 'commander';
import type { GlobalOptions } from './connection.ts';
import type { DeadLetterFlags } from './dead-letter-commands.ts';
import type { DeleteFlags } from './delete-commands.ts';
import type { DreamFlags } from './dream-command.ts';
import type { EvalFlags } from './eval-command.ts';
import type { ActorFlags } from './memory-commands.ts';
import type { DoctorFlags } from './doctor.ts';
import type { ForkFlags } from './fork-commands.ts';
import type { ApprovalFlags } from './approval-commands.ts';
import type { SendFlags, StopFlags } from './conversation-commands.ts';
import type { PauseFlags, ResumeFlags } from './pause-commands.ts';
import type { RegradeFlags } from './regrade-commands.ts';
import type { ReplayFlags } from './replay-commands.ts';
import { bench, benchmarkList } from './bench-command.ts';
import { cliVersion, helpSettings } from './help.ts';
import { serviceNames } from './service-names.ts';
import type { SubmitFlags, TailFlags } from './session-commands.ts';

const program = new Command('signalbox')
  .description('A self-hosted runtime for AI agents on NATS JetStream')
  .version(cliVersion(), '-V, --version', "print signalbox's version")
  // Before the subcommands, which take it on as they are made.
  .configureHelp(helpSettings)
  .option('--nats <url>', 'NATS server URL (default: $NATS_URL, then nats://127.0.0.1:4222); nats://user:pass@host and tls:// work')
  .option('--nats-user <user>', 'NATS user (default: $SIGNALBOX_NATS_USER)')
  .option('--nats-password <password>', 'NATS password (default: $SIGNALBOX_NATS_PASSWORD, which other users cannot see in ps)')
  .option('--nats-token <token>', 'NATS token (default: $SIGNALBOX_NATS_TOKEN)')
  .option('--nats-nkey <file>', 'file holding a NATS NKey user seed (default: $SIGNALBOX_NATS_NKEY_SEED_FILE)')
  .option('--nats-creds <file>', 'NATS .creds file (default: $SIGNALBOX_NATS_CREDS)')
  .option('--nats-tls-ca <file>', "PEM CA of the NATS server's certificate (default: $SIGNALBOX_NATS_TLS_CA)")
  .option('--nats-tls-cert <file>', 'PEM client certificate (default: $SIGNALBOX_NATS_TLS_CERT)')
  .option('--nats-tls-key <file>', 'PEM client key (default: $SIGNALBOX_NATS_TLS_KEY)')
  .option('--nats-inbox-prefix <prefix>', 'where replies come to this connection, as the NATS user may subscribe (default: $SIGNALBOX_NATS_INBOX_PREFIX, else _INBOX)')
  .option('--prefix <prefix>', 'subject and stream prefix (default: $SIGNALBOX_PREFIX, then sbx)')
  .showHelpAfterError()
  // Settled when a command runs, not as the program is made: the runtime's settings take a second to load, and `--help` needs none.
  .hook('preAction', async () => {
    if (program.opts<GlobalOptions>().prefix !== undefined) return;
    program.setOptionValue('prefix', (await import('@signalbox/runtime')).readEnvironment().SIGNALBOX_PREFIX ?? 'sbx');
  });

const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();
// Each command loads its modules when it runs: `--help` and a command's start-up load only what they use.
const sessionCommands = () => import('./session-commands.ts');

program
  .command('up')
  .description('run every service in this process (starts a local nats-server if none is reachable)')
  .action(async (_options, command: Command) => (await import('./host-commands.ts')).up(globals(command)));

program
  .command('init')
  .description('create or update every stream, bucket and object store, as a NATS user allowed to manage JetStream, so services can run as users that are not')
  .action(async (_options, command: Command) => (await import('./init.ts')).init(globals(command)));

program
  .command('run')
  .description(`run some services in this process: ${serviceNames.join(', ')}`)
  .argument('<service...>', `which services: ${serviceNames.join(', ')}`)
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
  .requiredOption('-f, --file <file>', 'the YAML or JSON file of agent definitions (one, a list, or several YAML documents)')
  .option('--strict', 'refuse the file, applying nothing, where it would warn (an unknown model provider, a tool no executor has advertised, a policy not stored)')
  .option('--json', 'print the stored definitions as JSON')
  .action(async (options: { file: string; strict?: boolean }, command: Command) => (await sessionCommands()).applyAgents(globals(command), options.file, options));

const policies = program.command('policies').description("manage the policies that decide agents' tool calls (lists them when no subcommand is given)");

policies
  .command('list', { isDefault: true })
  .description('list the stored policies with their versions')
  .option('--json', 'print JSON')
  .action(async (_options, command: Command) => (await import('./policy-commands.ts')).listPolicies(globals(command)));

policies
  .command('apply')
  .description('store policies from a YAML or JSON file; each gets a new version')
  .requiredOption('-f, --file <file>', 'the YAML or JSON file of policies (one, a list, or several YAML documents)')
  .option('--json', "print each stored policy's { name, version } as JSON")
  .action(async (options: { file: string }, command: Command) => (await import('./policy-commands.ts')).applyPolicies(globals(command), options.file));

policies
  .command('show')
  .description('print a stored policy with its version, as YAML')
  .argument('<name>')
  .option('--json', 'print JSON')
  .action(async (name: string, _options, command: Command) => (await import('./policy-commands.ts')).showPolicy(globals(command), name));

policies
  .command('delete')
  .description('delete a stored policy: agents naming it have their tool calls denied until it is applied again')
  .argument('<name>')
  .option('--json', 'print JSON')
  .action(async (name: string, _options, command: Command) => (await import('./policy-commands.ts')).deletePolicy(globals(command), name));

const secrets = program.command('secrets').description('manage the credential vault: secrets sealed under a master key that never enters NATS (lists names when no subcommand is given)');

secrets
  .command('list', { isDefault: true })
  .description('list the stored secrets by name, with the key each is sealed under (never a value)')
  .option('--json', 'print JSON')
  .action(async (_options, command: Command) => (await import('./secret-commands.ts')).listSecrets(globals(command)));

secrets
  .command('set')
  .description('seal the value on standard input (never an argument) under $SIGNALBOX_SECRETS_KEY_FILE and store it as <name>')
  .argument('<name>', 'letters, digits and "_", like GITHUB_TOKEN')
  .option('--json', 'print JSON')
  .action(async (name: string, _options, command: Command) => (await import('./secret-commands.ts')).setSecret(globals(command), name));

secrets
  .command('delete')
  .description('delete a stored secret with its history')
  .argument('<name>')
  .option('--json', 'print JSON')
  .action(async (name: string, _options, command: Command) => (await import('./secret-commands.ts')).deleteSecret(globals(command), name));

secrets
  .command('rotate')
  .description('seal every secret again under a new key, opening each with $SIGNALBOX_SECRETS_KEY_FILE (or $SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE)')
  .requiredOption('--new-key-file <file>', 'a file holding the new key: 32 random bytes in base64 (openssl rand -base64 32)')
  .option('--json', 'print JSON')
  .action(async (flags: { newKeyFile: string }, command: Command) => (await import('./secret-commands.ts')).rotateSecrets(globals(command), flags.newKeyFile));

const tokens = program.command('tokens').description("manage the gateway's bearer tokens: each has a name and scopes (read, submit, approve, admin); lists them when no subcommand is given");

tokens
  .command('list', { isDefault: true })
  .description('list the tokens by name, with their scopes (never a secret: only its sha256 is stored)')
  .option('--json', 'print JSON')
  .action(async (_options, command: Command) => (await import('./token-commands.ts')).listTokens(globals(command)));

tokens
  .command('create')
  .description('make a token and print its secret, this once')
  .argument('<name>', 'lower-case letters, digits, "-" and "_"')
  .requiredOption('--scopes <scopes>', 'comma-separated: read, submit, approve, admin (admin implies all)')
  .option('--json', 'print JSON')
  .action(async (name: string, flags: { scopes: string }, command: Command) => (await import('./token-commands.ts')).createToken(globals(command), name, flags));

tokens
  .command('revoke')
  .description('revoke a token: requests and browser logins made with it are refused at once')
  .argument('<name>')
  .option('--json', 'print JSON')
  .action(async (name: string, _options, command: Command) => (await import('./token-commands.ts')).revokeToken(globals(command), name));

program
  .command('console')
  .description("print the web console's address (the gateway serves it: signalbox up, or signalbox run gateway)")
  .option('--json', 'print JSON')
  .action(async (_options, command: Command) => (await import('./token-commands.ts')).consoleAddress(globals(command)));

const memory = program.command('memory').description("manage agents' memory stores: their versions, what each holds and why, and who promoted it (lists the stores when no subcommand is given)");

memory
  .command('list', { isDefault: true })
  .description('list every memory store with its head version, entries and proposals waiting; with a store, its versions side by side')
  .argument('[store]')
  .option('--json', 'print JSON')
  .action(async (store: string | undefined, _options, command: Command) => (await import('./memory-commands.ts')).listMemory(globals(command), store));

memory
  .command('apply')
  .description('define memory stores from a YAML or JSON file (their versions stay)')
  .requiredOption('-f, --file <file>', 'the YAML or JSON file of memory stores (one, a list, or several YAML documents)')
  .option('--json', 'print each stored definition as JSON')
  .action(async (options: { file: string }, command: Command) => (await import('./memory-commands.ts')).applyMemoryStores(globals(command), options.file));

memory
  .command('show')
  .description("print a version's entries (the head unless named): id, scope, confidence, evidence as session#events, who wrote it, the version that added it, flags")
  .argument('<store>')
  .argument('[version]')
  .option('--json', 'print JSON')
  .action(async (store: string, version: string | undefined, _options, command: Command) => (await import('./memory-commands.ts')).showMemory(globals(command), store, version));

memory
  .command('diff')
  .description('print the entries added and removed from version a to version b (the head unless named; 0 is the empty store)')
  .argument('<store>')
  .argument('<a>')
  .argument('[b]')
  .option('--json', 'print JSON')
  .action(async (store: string, a: string, b: string | undefined, _options, command: Command) => (await import('./memory-commands.ts')).diffMemory(globals(command), store, a, b));

memory
  .command('promote')
  .description('make a proposed version the head (its changes applied onto the head if it moved), held changes too; agents load it from their next session')
  .argument('<store>')
  .argument('<version>')
  .option('--as <name>', 'who promotes, recorded in the version (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (store: string, version: string, flags: ActorFlags, command: Command) => (await import('./memory-commands.ts')).promoteMemory(globals(command), store, version, flags));

memory
  .command('reject')
  .description('reject a proposed version: kept, never loaded')
  .argument('<store>')
  .argument('<version>')
  .option('--as <name>', 'who rejects, recorded in the version (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (store: string, version: string, flags: ActorFlags, command: Command) => (await import('./memory-commands.ts')).rejectMemory(globals(command), store, version, flags));

memory
  .command('rollback')
  .description("make a new version holding an earlier version's entries (0: none) the head at once; nothing is erased")
  .argument('<store>')
  .argument('<version>')
  .option('--as <name>', 'who rolls back, recorded in the version (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (store: string, version: string, flags: ActorFlags, command: Command) => (await import('./memory-commands.ts')).rollbackMemory(globals(command), store, version, flags));

program
  .command('dream')
  .description("ask the memory consolidator to consolidate a store now from finished sessions it has not read, and print what it did")
  .argument('<store>')
  .option('--sessions <n>', "read at most this many sessions (default: the store's consolidation.sessions)")
  .option('--no-wait', 'send the job and exit, without waiting for what it did')
  .option('--timeout <ms>', 'how long to wait for what it did', '300000')
  .option('--as <name>', 'who asks, recorded in the job (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (store: string, flags: DreamFlags, command: Command) => (await import('./dream-command.ts')).dreamCommand(globals(command), store, flags));

program
  .command('submit')
  .description('submit a task to an agent and print the session id')
  .argument('<agent>', "the agent's name, as `agents apply` stored it")
  .argument('<input>', 'the task, in words')
  .option('--session-id <id>', 'make the submission idempotent under this session id')
  .option('--max-steps <n>', "override the agent's step budget")
  .option('--follow', 'print the timeline until the session completes (or, a conversation, waits for the next message)')
  .option('--live', "with --follow, also print the model's text as it arrives (sbx.live.<sessionId>)")
  .option('--output <file>', 'a JSON Schema (JSON or YAML) the final answer must satisfy; the result carries its JSON value')
  .option('--wait', 'wait for the session to end and print its answer (its JSON value with --output); exit 1 unless it succeeded')
  .option('--json', 'print JSON')
  .action(async (agent: string, input: string, flags: SubmitFlags, command: Command) => (await sessionCommands()).submitTask(globals(command), agent, input, flags));

program
  .command('tail')
  .description("print a session's events live until it completes")
  .argument('<sessionId>')
  .option('--live', "also print the model's text as it arrives (sbx.live.<sessionId>); with --json, one live message per line")
  .option('--tree', 'also follow its subagents (and theirs) from when each is spawned, a lane a session, until all have completed; with --json, one { kind, lane, event } per line (a child not followed: { kind, lane, child })')
  .option('--json', 'one JSON event per line')
  .action(async (sessionId: string, flags: TailFlags, command: Command) => {
    if (!flags.tree) return (await sessionCommands()).tailSession(globals(command), sessionId, flags);
    if (flags.live) throw new Error("--live prints one session's text: not with --tree");
    return (await import('./tree-commands.ts')).tailTree(globals(command), sessionId);
  });

const sessions = program.command('sessions').description('list sessions, newest first, or delete them (lists them when no subcommand is given)');

sessions
  .command('list', { isDefault: true })
  .description('list sessions, newest first')
  .option('--json', 'print JSON')
  .action(async (_options, command: Command) => (await sessionCommands()).listSessions(globals(command)));

sessions
  .command('delete')
  .description("delete completed sessions everywhere: log, index, snapshots, transcripts, workspace, tool ledger, inbox, timers, dead letters, long outputs no other session refers to, and their evidence in memory stores")
  .argument('[sessionId...]', 'the sessions to delete')
  .option('--cascade', 'also delete their forks and subagents (without it, a session that has any is refused, naming them)')
  .option('--where <key=value>', 'choose sessions by their task metadata (repeat: all must hold); lists them, and deletes only with --yes', (value: string, earlier: string[] = []) => [...earlier, value])
  .option('--yes', 'delete the sessions --where chose')
  .option('--json', 'print { deleted, failed } (or { refused } / { wouldDelete }) as JSON')
  .action(async (sessionIds: string[], flags: DeleteFlags, command: Command) => (await import('./delete-commands.ts')).deleteSessionsCommand(globals(command), sessionIds, flags));

program
  .command('inspect')
  .description("print a session's events and what it came to")
  .argument('<sessionId>')
  .option('--tree', "print the run it is the root of instead: a line a session (agent, status, steps, tool calls, tokens, cost, outcome), its subagents indented, and the whole tree's totals")
  .option('--json', 'print JSON (with --tree: the tree)')
  .action(async (sessionId: string, flags: { tree?: boolean }, command: Command) =>
    flags.tree ? (await import('./tree-commands.ts')).inspectTree(globals(command), sessionId) : (await sessionCommands()).inspectSession(globals(command), sessionId),
  );

program
  .command('output')
  .description('print a tool output stored whole because it was too long for its event (the sha256 its tool.completed names)')
  .argument('<sha256>')
  .action(async (sha256: string, _options, command: Command) => (await sessionCommands()).printToolOutput(globals(command), sha256));

program
  .command('replay')
  .description('print a recorded run as a timeline; --check replays it through the current decider and reports the first divergence')
  .argument('<sessionId>')
  .option('--full', 'print whole texts instead of excerpts')
  .option('--to <n>', 'stop at event n')
  .option('--workspace', "also list the run's workspace files as they were at the last event shown")
  .option('--check', 'exit 1 at the first step where the current code would decide differently')
  .option('--json', 'print { summary, events } (with --check: the check) as JSON')
  .action(async (sessionId: string, flags: ReplayFlags, command: Command) => {
    process.exitCode = await (await import('./replay-commands.ts')).replaySession(globals(command), sessionId, flags);
  });

program
  .command('fork')
  .description("start a new session from another's first n events, optionally with another model, system prompt or an edit of event n")
  .argument('<sessionId>')
  .requiredOption('--at <n>', "the fork's first n events are the original's")
  .option('--model <model>', 'another model for the agent')
  .option('--system <text>', 'another system prompt for the agent')
  .option('--tool-output <text>', 'event n is a tool result: record it as completed with this output')
  .option('--reply <text>', 'event n is a model reply: record this text instead, ending the turn')
  .option('--hermetic', "answer from the original's recorded replies and tool results until the fork asks something else")
  .option('--session-id <id>', "the fork's session id (default: a new one)")
  .option('--follow', "print the fork's timeline until it completes")
  .option('--json', 'print JSON')
  .action(async (sessionId: string, flags: ForkFlags, command: Command) => (await import('./fork-commands.ts')).forkSession(globals(command), sessionId, flags));

program
  .command('diff')
  .description('compare two sessions: the first event where they differ, then steps, tokens, cost, duration and outcome side by side')
  .argument('<a>', 'a session id')
  .argument('<b>', 'the session id to compare it with (a fork of it, say)')
  .option('--json', 'print JSON')
  .action(async (a: string, b: string, _options, command: Command) => (await import('./fork-commands.ts')).diffCommand(globals(command), a, b));

program
  .command('eval')
  .description('run a suite: every task under every configuration as tagged sessions, then success with its 95% interval, grade, cost, steps, duration, interventions and approvals per configuration')
  .argument('[suite]', 'the suite file (YAML or JSON): tasks, configurations, repeats; see docs/evals.md')
  .option('--html <file>', 'also write the report as one self-contained HTML file (tables, success against cost, intervention timing)')
  .option('--record <id>', 'instead of running a suite: show a stored run of an eval again')
  .option('--trajectories <path>', 'instead: score the detectors on labelled trajectories (a file, or a folder of .json/.jsonl; docs/labelled-trajectories.md), offline')
  .option('--supervision <json>', "with --trajectories: the detectors' settings, as an agent's supervision field")
  .option('--json', 'print the stored record (or the scores) as JSON')
  .action(async (file: string | undefined, flags: EvalFlags, command: Command) => (await import('./eval-command.ts')).evalCommand(globals(command), file, flags));

program
  .command('regrade')
  .description("grade sessions' submitted outcomes again against another rubric (the grader pool answers; the sessions' logs are not touched) and print old and new grades side by side")
  .argument('<sessionId...>', 'the sessions to grade again')
  .requiredOption('--rubric <file>', 'the new rubric, YAML or JSON: a sentence, or { criteria: [{ id?, text, weight?, required? }] }')
  .option('--last', "grade only each session's last attempt (default: every attempt)")
  .option('--timeout-ms <ms>', 'how long to wait for each grade', '120000')
  .option('--json', 'print JSON')
  .action(async (sessionIds: string[], flags: RegradeFlags, command: Command) => (await import('./regrade-commands.ts')).regradeCommand(globals(command), sessionIds, flags));

program
  .command('pause')
  .description('pause a session: it records who and why, and makes no model or tool call until resumed (also across restarts)')
  .argument('<sessionId>')
  .option('--reason <text>', 'why, recorded in session.paused')
  .option('--as <name>', 'who pauses, recorded in session.paused (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (sessionId: string, flags: PauseFlags, command: Command) => (await import('./pause-commands.ts')).pauseCommand(globals(command), sessionId, flags));

program
  .command('resume')
  .description('resume a paused session, optionally with a higher budget (a session its budget paused goes on)')
  .argument('<sessionId>')
  .option('--as <name>', 'who resumes, recorded in session.resumed (default: cli:<os user>)')
  .option('--max-steps <n>', 'the step limit to go on with (for the whole run)')
  .option('--max-cost-usd <x>', 'the cost limit to go on with, in US dollars')
  .option('--max-tool-calls <n>', 'the limit on tool calls in all to go on with')
  .option('--max-calls-of <tool=n>', 'the limit on one tool\'s calls to go on with (repeat for more tools)', (value: string, earlier: string[] = []) => [...earlier, value])
  .option('--max-non-idempotent-calls <n>', 'the limit on calls of tools not safe to run twice to go on with')
  .option('--max-wall-clock-ms <ms>', "the limit on the run's time from its start to go on with")
  .option('--json', 'print JSON')
  .action(async (sessionId: string, flags: ResumeFlags, command: Command) => (await import('./pause-commands.ts')).resumeCommand(globals(command), sessionId, flags));

program
  .command('send')
  .description("send a session a message: an idle conversation's next turn, or queued for the turn after the one running")
  .argument('<sessionId>')
  .argument('<text>', 'the message, as the model reads it')
  .option('--interrupt', 'stop the running step first (its model call, its tool calls) instead of queueing the message')
  .option('--follow', 'print the events that follow, until the session completes or waits for the next message')
  .option('--as <name>', 'who writes, recorded in message.received (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (sessionId: string, text: string, flags: SendFlags, command: Command) => (await import('./conversation-commands.ts')).sendCommand(globals(command), sessionId, text, flags));

program
  .command('interrupt')
  .description('stop a session\'s running step at once (its model call is cancelled, its tool calls told to stop); it then waits for a message')
  .argument('<sessionId>')
  .option('--reason <text>', 'why, recorded in session.interrupted')
  .option('--as <name>', 'who interrupts (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (sessionId: string, flags: StopFlags, command: Command) => (await import('./conversation-commands.ts')).interruptCommand(globals(command), sessionId, flags));

program
  .command('signal')
  .description('send a session a named signal: a wait.signal call waiting for it completes with the payload (or the session keeps it for its next wait)')
  .argument('<sessionId>')
  .argument('<name>', 'the signal, as the wait names it (letters, digits, - and _)')
  .argument('[payload]', 'what the wait returns to the model')
  .option('--as <name>', 'who signals, recorded in signal.received (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (sessionId: string, name: string, payload: string | undefined, flags: { as?: string }, command: Command) => (await import('./conversation-commands.ts')).signalCommand(globals(command), sessionId, name, payload, flags));

program
  .command('close')
  .description('end a conversation: an idle session completes with its last answer, a running one is stopped and ends aborted')
  .argument('<sessionId>')
  .option('--reason <text>', 'why, recorded in session.completed')
  .option('--as <name>', 'who closes, recorded as closedBy (default: cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (sessionId: string, flags: StopFlags, command: Command) => (await import('./conversation-commands.ts')).closeCommand(globals(command), sessionId, flags));

program
  .command('approvals')
  .description('list the tool calls waiting for a person’s approval, across sessions, the nearest deadline first')
  .option('--json', 'print JSON')
  .action(async (_options, command: Command) => (await import('./approval-commands.ts')).listApprovals(globals(command)));

program
  .command('approve')
  .description('approve a tool call a policy holds for approval: its session records who approved it, and runs it')
  .argument('<approvalId>', 'as `signalbox approvals` lists it')
  .option('--note <text>', 'why, recorded with the approval')
  .option('--for-session', "also approve the tool's later calls in this session that a policy would hold")
  .option('--as <name>', 'who approves, recorded in approval.resolved (default: the NATS user, else cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (approvalId: string, flags: ApprovalFlags, command: Command) => (await import('./approval-commands.ts')).approveCommand(globals(command), approvalId, flags));

program
  .command('deny')
  .description('deny a tool call a policy holds for approval: it does not run, and the model reads who said no and the note')
  .argument('<approvalId>', 'as `signalbox approvals` lists it')
  .option('--note <text>', 'why, recorded with the denial and told to the model')
  .option('--as <name>', 'who denies, recorded in approval.resolved (default: the NATS user, else cli:<os user>)')
  .option('--json', 'print JSON')
  .action(async (approvalId: string, flags: ApprovalFlags, command: Command) => (await import('./approval-commands.ts')).denyCommand(globals(command), approvalId, flags));

program
  .command('dlq')
  .description('list the latest messages the runtime would not process (rejected tasks, dead jobs), with the reason, newest first')
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'print JSON (bodies in base64)')
  .action(async (flags: DeadLetterFlags, command: Command) => (await import('./dead-letter-commands.ts')).listDeadLetters(globals(command), flags));

program
  .command('redrive')
  .description('send dead letters again to where they came from (after fixing what made them fail), and drop them from the dead-letter stream')
  .argument('<seq...>', 'their sequence numbers, as `dlq` prints them')
  .option('--json', 'print JSON')
  .action(async (seqs: string[], _options, command: Command) => (await import('./dead-letter-commands.ts')).redriveDeadLetters(globals(command), seqs));

program
  .command('bench')
  .description('run the benchmarks of test/bench (all, or those named), each against a nats-server of its own, printed as ratios to raw JetStream')
  .argument('[name...]', 'the benchmarks to run (default: all)')
  .addHelpText('after', () => benchmarkList())
  .action(async (names: string[]) => {
    process.exitCode = await bench(names);
  });

program
  .command('doctor')
  .description('check the NATS server and the Signalbox streams: version, JetStream, replication and fsync settings')
  .option('--monitor <url>', "nats-server's monitoring URL, to read sync_interval (default: http://<nats host>:8222)")
  .option('--json', 'print { facts, findings } as JSON')
  .action(async (flags: DoctorFlags, command: Command) => {
    process.exitCode = await (await import('./doctor.ts')).doctor(globals(command), flags);
  });

// Output piped into a reader that stops early (`signalbox tail x | head`) ends the command quietly, as other tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

program.parseAsync().catch(async (error: unknown) => {
  const { maskUrlsIn } = await import('@signalbox/runtime');
  console.error(`signalbox: ${maskUrlsIn(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
});
