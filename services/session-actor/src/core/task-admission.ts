import { AgentName, decode, DecodeError, inputLimits, jsonLimitProblem, readRubric, Task, validate, type AgentDefinition } from '@signalbox/events';

export type TaskAdmission = { ok: true; agent: AgentName; task: Task } | { ok: false; reason: string };

export interface TaskMessage {
  subject: string;
  data: Uint8Array;
  contentType: string | undefined;
}

/** Tasks above this size are refused: they would bloat every model request of the session. */
export const defaultMaxTaskBytes = 256 * 1024;

const msgpackTypes = new Set(['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']);

/**
 * Checks a message published on `<prefix>.tasks.<agent>`: size, encoding (JSON, or msgpack by
 * Content-Type), the task schema and the agent name. Whether the agent exists is the shell's question.
 */
export function admitTask(message: TaskMessage, prefix: string, maxBytes = defaultMaxTaskBytes): TaskAdmission {
  if (message.data.length > maxBytes) {
    return { ok: false, reason: `task is ${message.data.length} bytes; the limit is ${maxBytes}` };
  }
  const agent = AgentName.safeParse(message.subject.slice(`${prefix}.tasks.`.length));
  if (!agent.success) return { ok: false, reason: `no valid agent name in subject "${message.subject}"` };
  try {
    const task = msgpackTypes.has(message.contentType ?? '')
      ? decode(Task, message.data, 'msgpack task')
      : validate(Task, parseJson(message.data), 'JSON task');
    return { ok: true, agent: agent.data, task };
  } catch (error) {
    if (error instanceof DecodeError || error instanceof SyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}

function parseJson(data: Uint8Array): unknown {
  const text = new TextDecoder().decode(data);
  // A linear pre-scan first: a task nested thousands deep overflowed every recursive walk after parsing.
  const problem = jsonLimitProblem(text, inputLimits, data.length);
  if (problem !== undefined) throw new DecodeError('JSON task', problem);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`malformed JSON task: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Why a task cannot be graded, when its outcome (its own, else its agent's) has no rubric it can be
 * graded against (the task's, else the agent's); undefined when it has none or can be.
 */
export function ungradableTask(task: Pick<Task, 'outcome' | 'rubric'>, agent: Pick<AgentDefinition, 'outcome' | 'rubric'>): string | undefined {
  if ((task.outcome ?? agent.outcome) === undefined) return undefined;
  const read = readRubric(task.rubric ?? agent.rubric);
  if (!('problem' in read)) return undefined;
  const whose = task.rubric !== undefined ? "the task's rubric is not one" : agent.rubric !== undefined ? "its agent's rubric is not one" : 'neither the task nor its agent gives a rubric';
  return `the task's outcome cannot be graded: ${whose}; ${read.problem}`;
}
