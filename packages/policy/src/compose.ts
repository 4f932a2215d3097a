import type { Policy, PolicyLayer } from '@signalbox/events';
import { layersOf } from '@signalbox/events';

/**
 * The agent's policy narrowed by a task's: a call gets the strictest of the two effects. The task's
 * rules only add a layer, so nothing it says can widen what the agent's policy allows.
 */
export function narrow(agentPolicy: Policy, taskPolicy: Policy): Policy {
  return { ...taskPolicy, within: [...(taskPolicy.within ?? []), ...layersOf(agentPolicy)] };
}

/**
 * A child session's policy: its own, within every layer of its parent's as delegated (only the
 * delegable grants, deny rules always, the default deny), so it holds no grant its parent could not pass on.
 */
export function childPolicy(parentPolicy: Policy, childOwnPolicy: Policy): Policy {
  return { ...childOwnPolicy, within: [...(childOwnPolicy.within ?? []), ...layersOf(parentPolicy).map(delegated)] };
}

function delegated(layer: PolicyLayer): PolicyLayer {
  return { ...layer, delegated: true };
}
