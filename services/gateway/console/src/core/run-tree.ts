/** The run tree as `GET /sessions/{id}/tree` gives it (the client's RunTree), as far as the console reads it. */
export interface RunTreeNode {
  sessionId: string;
  agent: string;
  depth: number;
  status: string;
  totals?: { costUsd?: number };
  children?: RunTreeNode[];
}

export interface RunTree {
  root: RunTreeNode;
  sessions: number;
  totals?: { costUsd?: number; steps?: number };
}

export interface LaneSpec {
  sessionId: string;
  agent: string;
  /** 1 for the session's own subagents, 2 for theirs, … */
  depth: number;
  /** The agent of the session that spawned it. */
  parentAgent: string;
}

/** Every session below the tree's root, parents before their children: one lane each. */
export function lanesOf(tree: RunTree): LaneSpec[] {
  const lanes: LaneSpec[] = [];
  const visit = (node: RunTreeNode, depth: number) => {
    for (const child of node.children ?? []) {
      lanes.push({ sessionId: child.sessionId, agent: child.agent, depth, parentAgent: node.agent });
      visit(child, depth + 1);
    }
  };
  visit(tree.root, 1);
  return lanes;
}
