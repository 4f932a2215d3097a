import { layersOf, type Policy } from '@signalbox/events';

/**
 * The vault secrets a call the policy allows may open: those every layer names. A task's policy
 * narrows the agent's by adding a layer, so it can drop a secret but never add one; a layer that
 * names none (the listed-tools policy of an agent without a policy, say) grants none.
 */
export function grantedSecretsOf(policy: Policy): string[] {
  const [first, ...rest] = layersOf(policy).map((layer) => new Set(layer.secrets ?? []));
  if (first === undefined) return [];
  return [...first].filter((name) => rest.every((layer) => layer.has(name))).sort();
}
