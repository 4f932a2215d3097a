import { assertNever } from '@signalbox/events';
import type { PolicyCall } from './matching.ts';
import { ruleMatch } from './matching.ts';
import type { Effect, Policy, PolicyLayer, PolicyRule } from '@signalbox/events';
import { layersOf } from '@signalbox/events';

/** What a policy does with a call, which policy and rule decided it, and a sentence saying so to the model. */
export interface PolicyDecision {
  effect: Effect;
  /** The policy (one of the layers of a narrowed policy) whose rule or default decided. */
  policy: string;
  policyVersion?: number;
  /** The deciding rule: `index` counts from 0 in `rules`; the reason counts from 1, as a reader of the file does. */
  rule?: { index: number; id?: string };
  reason: string;
  /** On an `ask` by a rule that says how long a call may wait for a person. */
  approvalTimeoutMs?: number;
}

/** Each effect outranks those after it. */
const strictestFirst = ['deny', 'ask', 'allow'] as const satisfies readonly Effect[];

/** The strictest of every layer's decision; the first layer's among equals. */
export function evaluate(policy: Policy, call: PolicyCall): PolicyDecision {
  const decisions = layersOf(policy).map((layer) => decideByLayer(layer, call));
  return decisions.reduce((strictest, decision) => (strictness(decision.effect) > strictness(strictest.effect) ? decision : strictest));
}

export function strictness(effect: Effect): number {
  return strictestFirst.length - strictestFirst.indexOf(effect);
}

/** A matching deny wins wherever it stands, then ask, then allow; within one effect the first in order. */
function decideByLayer(layer: PolicyLayer, call: PolicyCall): PolicyDecision {
  const effects = layer.rules.map((rule) => effectOn(layer, rule, call));
  for (const effect of strictestFirst) {
    const index = effects.indexOf(effect);
    const rule = layer.rules[index];
    if (rule !== undefined) return ruleDecision(layer, rule, index, effect);
  }
  return defaultDecision(layer, call);
}

/** What a rule does to the call, if it applies; in a delegated layer only delegable grants apply, and what the parent must ask for is denied. */
function effectOn(layer: PolicyLayer, rule: PolicyRule, call: PolicyCall): Effect | undefined {
  const match = ruleMatch(rule, call);
  if (match === 'no' || (match === 'unsure' && rule.effect !== 'deny')) return undefined;
  if (layer.delegated !== true || rule.delegable === true || rule.effect === 'deny') return rule.effect;
  return rule.effect === 'ask' ? 'deny' : undefined;
}

function ruleDecision(layer: PolicyLayer, rule: PolicyRule, index: number, effect: Effect): PolicyDecision {
  const named = rule.id === undefined ? '' : ` (${rule.id})`;
  const why = rule.description === undefined ? '' : `: ${rule.description}`;
  const undelegated = effect !== rule.effect ? ', which a child session does not inherit' : '';
  return {
    ...decidedBy(layer, effect),
    rule: rule.id === undefined ? { index } : { index, id: rule.id },
    reason: `${verbOf(effect)} by rule ${index + 1}${named} of policy ${titleOf(layer)}${undelegated}${why}`,
    ...(effect === 'ask' && rule.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: rule.approvalTimeoutMs } : {}),
  };
}

function defaultDecision(layer: PolicyLayer, call: PolicyCall): PolicyDecision {
  const effect = layer.delegated === true ? 'deny' : layer.default;
  const rules = layer.delegated === true ? 'no rule a child session inherits' : 'no rule';
  return { ...decidedBy(layer, effect), reason: `${verbOf(effect)} by default: ${rules} of policy ${titleOf(layer)} matches a call to ${call.tool}` };
}

function decidedBy(layer: PolicyLayer, effect: Effect): Pick<PolicyDecision, 'effect' | 'policy' | 'policyVersion'> {
  return layer.version === undefined ? { effect, policy: layer.name } : { effect, policy: layer.name, policyVersion: layer.version };
}

function titleOf(layer: PolicyLayer): string {
  return layer.version === undefined ? layer.name : `${layer.name} v${layer.version}`;
}

function verbOf(effect: Effect): string {
  switch (effect) {
    case 'allow':
      return 'allowed';
    case 'ask':
      return 'held for approval';
    case 'deny':
      return 'denied';
    default:
      return assertNever(effect);
  }
}
