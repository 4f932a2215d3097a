import { readFile } from 'node:fs/promises';
import { summarise, type SessionSummary, type SignalboxClient } from '@signalbox/client';
import { OutputSchema, type SessionEvent, type Task } from '@signalbox/events';
import { configFromEnv } from '@signalbox/runtime';
import { ulid } from 'ulid';
import { parseAgentFile } from './agent-files.ts';
import { agentWarnings } from './agent-warnings.ts';
import { parseDefinitionFile } from './definition-files.ts';
import { useColour, withClient, type GlobalOptions } from './connection.ts';
import { spendOf } from './excerpts.ts';
import { wholeNumberFlag } from './flags.ts';
import { printLiveText } from './live-text.ts';
import { formatEvent } from './timeline.ts';
import { reportingToolWaits, toolWaitLines } from './tool-wait-reports.ts';
import { toolsAwaited } from './tool-waits.ts';

export interface ApplyFlags {
  /** Refuse the whole file, applying nothing, where there would be warnings. */
  strict?: boolean;
}

/**
 * `agents apply -f`: a file with any problem is refused whole, one line a problem on stderr (exit 1).
 * What would keep an agent's sessions from running is a warning, or with `--strict` a refusal.
 */
export async function applyAgents(options: GlobalOptions, file: string, flags: ApplyFlags = {}): Promise<void> {
  const parsed = parseAgentFile(file, await readFile(file, 'utf8'));
  if (!parsed.ok) return refuseAgents(parsed.problems);
  await withClient(options, async (client) => {
    const surroundings = {
      providers: Object.keys(configFromEnv().models.providers),
      unadvertisedTools: new Set(await client.unadvertisedTools([...new Set(parsed.agents.flatMap((agent) => agent.tools))])),
      policies: new Set(parsed.agents.some((agent) => agent.policy !== undefined) ? (await client.policies()).map((policy) => policy.name) : []),
    };
    const warnings = parsed.agents.flatMap((agent) => agentWarnings(agent, surroundings));
    if (flags.strict && warnings.length > 0) return refuseAgents([...warnings.map((warning) => `error: ${warning}`), `nothing applied (--strict)`]);
    for (const warning of warnings) console.error(`warning: ${warning}`);
    for (const definition of parsed.agents) {
      const agent = await client.applyAgent(definition);
      print(options, agent, `applied agent ${agent.name} (${agent.model})`);
    }
  });
}

function refuseAgents(problems: readonly string[]): void {
  for (const problem of problems) console.error(problem);
  process.exitCode = 1;
}

export interface SubmitFlags {
  sessionId?: string;
  maxSteps?: string;
  follow?: boolean;
  /** With `--follow`, the model's text as it arrives too, heard from before the task is sent. */
  live?: boolean;
  /** A file (JSON or YAML) holding the JSON Schema the final answer must satisfy: the task's `output`. */
  output?: string;
  /** Wait for the session to end and print its result (with `--json`, as JSON, the structured value included). */
  wait?: boolean;
}

/** `signalbox submit`: with `--follow`, exits non-zero unless the session succeeds. */
export async function submitTask(options: GlobalOptions, agent: string, input: string, flags: SubmitFlags): Promise<void> {
  if (flags.live && !flags.follow) throw new Error('--live prints along the timeline: give --follow too');
  if (flags.wait && flags.follow) throw new Error('--follow prints the timeline to the end already: give --follow or --wait');
  const task: Task = { input };
  if (flags.output) task.output = await readOutputSchema(flags.output);
  if (flags.sessionId) task.sessionId = flags.sessionId;
  // The live subject names the session, and live text is kept nowhere: the id is chosen here, so listening starts first.
  if (flags.live) task.sessionId ??= ulid();
  if (flags.maxSteps !== undefined) task.budget = { maxSteps: wholeNumberFlag('--max-steps', flags.maxSteps) };
  await withClient(options, async (client) => {
    await withLiveText(options, client, flags.live === true ? task.sessionId : undefined, async () => {
      const outcome = await client.submit(agent, task);
      if (outcome.status === 'rejected') throw new Error(`task rejected: ${outcome.error}`);
      const accepted = outcome.status === 'duplicate' ? `${outcome.sessionId} (already submitted)` : outcome.sessionId;
      // With --wait, stdout is the answer alone, for a pipe.
      if (flags.wait) console.error(`session ${accepted}`);
      else print(options, outcome, accepted);
      if (flags.follow) process.exitCode = exitCodeOf(await printTimeline(options, client, outcome.sessionId));
      if (flags.wait) process.exitCode = printResult(options, await client.result(outcome.sessionId));
    });
  });
}

/** The session's result: its answer (the JSON value when it has one), or why it failed; exit 1 unless it succeeded. */
function printResult(options: GlobalOptions, result: SessionSummary): number {
  const { sessionId, status, output, structuredOutput, reason, totals } = result;
  if (options.json) console.log(JSON.stringify({ sessionId, status, output, structuredOutput, reason, totals }));
  else {
    console.log(structuredOutput !== undefined ? JSON.stringify(structuredOutput, null, 2) : (output ?? ''));
    if (status !== 'succeeded') console.error(`${status}${reason ? `: ${reason}` : ''}`);
  }
  return status === 'succeeded' ? 0 : 1;
}

/** `--output <file>`: a JSON Schema, in JSON or YAML, checked as a task's `output` before anything is sent. */
async function readOutputSchema(file: string): Promise<OutputSchema> {
  const parsed = parseDefinitionFile(file, await readFile(file, 'utf8'), OutputSchema, 'output schema');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const [schema, ...more] = parsed.definitions;
  if (schema === undefined || more.length > 0) throw new Error(`${file}: holds ${parsed.definitions.length} schemas; --output takes one`);
  return schema;
}

export interface TailFlags {
  /** Also print the model's text as it arrives (`sbx.live.<sessionId>`), between the events. */
  live?: boolean;
  /** Follow the session's subagents too, a lane each (tree-commands.ts). */
  tree?: boolean;
}

/** `signalbox tail`: an unknown session is an error at once; exits non-zero unless the session succeeds. */
export async function tailSession(options: GlobalOptions, sessionId: string, flags: TailFlags = {}): Promise<void> {
  await withClient(options, async (client) => {
    if (!(await client.hasSession(sessionId))) throw new Error(`no session ${sessionId}`);
    await withLiveText(options, client, flags.live === true ? sessionId : undefined, async () => {
      // A conversation is followed across its turns, to its end.
      process.exitCode = exitCodeOf(await printTimeline(options, client, sessionId, { acrossTurns: true }));
    });
  }, 'must-exist');
}

/** Runs `follow` while printing `sessionId`'s live text (when given), from before it starts until after it ends. */
async function withLiveText(options: GlobalOptions, client: SignalboxClient, sessionId: string | undefined, follow: () => Promise<void>): Promise<void> {
  if (sessionId === undefined) return follow();
  const stop = new AbortController();
  const live = printLiveText(client, sessionId, { json: options.json === true, signal: stop.signal }, { write: (text) => void process.stdout.write(text) });
  try {
    await follow();
  } finally {
    stop.abort();
    await live;
  }
}

/**
 * Prints a session's events after event `after` as they are appended, until it completes or (unless
 * `acrossTurns`) waits idle for a message, a conversation between turns; resolves to how it ended, or `idle`.
 */
export async function printTimeline(options: GlobalOptions, client: SignalboxClient, sessionId: string, { after = 0, acrossTurns = false } = {}): Promise<FollowedTo | undefined> {
  const colour = useColour();
  let status: FollowedTo | undefined;
  const events = acrossTurns ? client.follow(sessionId) : client.followTurn(sessionId, { after });
  for await (const event of reportingToolWaits(client.nc, client.names, events, (line) => console.error(`waiting: ${line}`))) {
    console.log(options.json ? JSON.stringify(event) : formatEvent(event, colour));
    status = event.type === 'session.completed' ? event.data.status : event.type === 'turn.completed' || event.type === 'session.interrupted' ? 'idle' : status;
  }
  return status;
}

/** How a followed session ended, or `idle`: waiting for a message after its turn. */
type FollowedTo = Extract<SessionEvent, { type: 'session.completed' }>['data']['status'] | 'idle';

/** A command that followed a session to its end (or its turn's) tells scripts whether it succeeded (the status is in its last line). */
export function exitCodeOf(status: FollowedTo | undefined): number {
  return status === 'succeeded' || status === 'idle' ? 0 : 1;
}

export async function listSessions(options: GlobalOptions): Promise<void> {
  await withClient(options, async (client) => {
    const sessions = await client.sessions();
    if (options.json) return console.log(JSON.stringify(sessions, null, 2));
    if (sessions.length === 0) return console.log('no sessions yet');
    for (const session of sessions) {
      const when = new Date(session.createdAt).toISOString().replace('T', ' ').slice(0, 19);
      console.log(`${session.sessionId}  ${when}  ${session.agent.padEnd(16)} ${session.status.padEnd(9)} ${session.lastN} events`);
    }
  }, 'must-exist');
}

export async function inspectSession(options: GlobalOptions, sessionId: string): Promise<void> {
  await withClient(options, async (client) => {
    const events = await client.events(sessionId);
    if (events.length === 0) throw new Error(`no session ${sessionId}`);
    const summary = summarise(sessionId, events);
    if (options.json) return console.log(JSON.stringify({ summary, events }, null, 2));
    const colour = useColour();
    for (const event of events) console.log(formatEvent(event, colour));
    const totals = summary.totals;
    console.log(
      `\n${summary.status} · ${summary.events} events · ${summary.durationMs} ms` +
        (totals ? ` · ${spendOf(totals)}` : ''),
    );
    for (const line of await toolWaitLines(client.nc, client.names, toolsAwaited(events))) console.log(`waiting: ${line}`);
  }, 'must-exist');
}

export async function printToolOutput(options: GlobalOptions, sha256: string): Promise<void> {
  await withClient(options, async (client) => {
    const output = await client.toolOutput(sha256);
    if (output === undefined) throw new Error(`no tool output is stored as ${sha256}`);
    process.stdout.write(output);
  }, 'must-exist');
}

function print(options: GlobalOptions, data: unknown, text: string): void {
  console.log(options.json ? JSON.stringify(data) : text);
}
