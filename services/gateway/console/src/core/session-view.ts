import type { LogEvent } from './events.ts';

/**
 * What a session's log adds up to for its page, folded from its events alone (so a live page and a
 * finished one read the same way): status, spend against budget, what waits for a person, what the
 * supervisor did, the grades, the memory it was given and its subagents.
 */
export interface SessionView {
  agent: string;
  status: string;
  /** What a pause interrupted (`running` or `idle`): a resume goes back to it. */
  beforePause: string;
  costUsd: number;
  steps: number;
  toolCalls: number;
  budget: { maxSteps?: number; maxCostUsd?: number; maxToolCalls?: number };
  waiting: WaitingApproval[];
  interventions: LogEvent[];
  grades: LogEvent[];
  memory: { store?: string; version?: number; entries: { key: string; text: string }[]; problem?: string } | undefined;
  children: { sessionId: string; agent: string; status: string }[];
  forkedFrom: { sessionId: string; n: number } | undefined;
  output: string | undefined;
}

export interface WaitingApproval {
  approvalId: string;
  tool: string;
  input: string;
  deadline: number;
  n: number;
}

export const emptyView = (): SessionView => ({
  agent: '',
  status: 'unknown',
  beforePause: 'running',
  costUsd: 0,
  steps: 0,
  toolCalls: 0,
  budget: {},
  waiting: [],
  interventions: [],
  grades: [],
  memory: undefined,
  children: [],
  forkedFrom: undefined,
  output: undefined,
});

const costOf = (data: Record<string, unknown>) => (typeof data.costUsd === 'number' ? data.costUsd : 0);
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** One event folded into the view (a new object: views are values). */
export function evolveView(view: SessionView, event: LogEvent): SessionView {
  const d = event.data;
  switch (event.type) {
    case 'session.created': {
      const budget = (d.budget ?? {}) as SessionView['budget'];
      const forked = d.forkedFrom as { sessionId?: string; n?: number } | undefined;
      return {
        ...view,
        agent: str((d.agent as { name?: string } | undefined)?.name),
        status: 'running',
        budget,
        forkedFrom: forked?.sessionId ? { sessionId: forked.sessionId, n: forked.n ?? 0 } : undefined,
      };
    }
    case 'model.responded':
      return { ...view, steps: view.steps + 1, costUsd: view.costUsd + costOf(d) };
    case 'model.failed':
    case 'context.compacted':
    case 'supervisor.judged':
      return { ...view, costUsd: view.costUsd + costOf(d) };
    case 'tool.requested':
      return { ...view, toolCalls: view.toolCalls + 1 };
    case 'approval.requested':
      return { ...view, waiting: [...view.waiting, { approvalId: str(d.approvalId), tool: str(d.tool), input: str(d.input), deadline: Number(d.deadline), n: event.n }] };
    case 'approval.resolved':
      return { ...view, waiting: view.waiting.filter((approval) => approval.approvalId !== d.approvalId) };
    case 'supervisor.intervened':
      return { ...view, interventions: [...view.interventions, event] };
    case 'outcome.graded':
      return { ...view, grades: [...view.grades, event], costUsd: view.costUsd + costOf(d) };
    case 'memory.loaded':
      return { ...view, memory: d as SessionView['memory'] };
    case 'subagent.spawned':
      return { ...view, children: [...view.children, { sessionId: str(d.sessionId), agent: str(d.agent), status: 'running' }] };
    case 'subagent.completed': {
      const spent = (d.totals as { costUsd?: number } | undefined)?.costUsd ?? 0;
      return { ...view, costUsd: view.costUsd + spent, children: view.children.map((child) => (child.sessionId === d.sessionId ? { ...child, status: str(d.status) } : child)) };
    }
    case 'message.received':
      // A paused session keeps the message for when it is resumed.
      return view.status === 'paused' ? { ...view, beforePause: 'running' } : { ...view, status: 'running' };
    case 'session.interrupted':
      // Its step stopped, the session waits for the next message.
      return { ...view, ...(view.status === 'paused' ? { beforePause: 'idle' } : { status: 'idle' }), costUsd: view.costUsd + costOf(d) };
    case 'session.paused':
      return view.status === 'paused' ? view : { ...view, status: 'paused', beforePause: view.status };
    case 'session.resumed':
      return { ...view, status: view.beforePause };
    case 'turn.completed':
      return { ...view, status: 'idle', output: str(d.output) };
    case 'session.completed': {
      const totals = d.totals as { costUsd?: number; steps?: number; toolCalls?: number } | undefined;
      return {
        ...view,
        status: str(d.status),
        output: typeof d.output === 'string' ? d.output : view.output,
        costUsd: totals?.costUsd ?? view.costUsd,
        steps: totals?.steps ?? view.steps,
        toolCalls: totals?.toolCalls ?? view.toolCalls,
        waiting: [],
      };
    }
    default:
      return view;
  }
}

export const viewOf = (events: readonly LogEvent[]) => events.reduce(evolveView, emptyView());

/** How much of a limit is used, 0..1 (undefined: no limit). */
export const usedShare = (used: number, limit: number | undefined) => (limit === undefined || limit <= 0 ? undefined : Math.min(1, used / limit));
