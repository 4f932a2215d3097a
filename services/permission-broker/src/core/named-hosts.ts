import picomatch from 'picomatch';
import { layersOf, type Policy, type PolicyLayer } from '@signalbox/events';
import { evaluate, type PolicyCall } from '@signalbox/policy';

/** The longest host name a grant may carry (the ToolGrant contract, DNS's own limit). */
const hostLimit = 253;

/**
 * The host an allowed call's grant names outright, which lets `http.fetch` reach it even at a
 * loopback, private or link-local address: only where every layer of the policy allows the call by a
 * rule whose `url.host` is that host, written without a glob. `*` or `*.internal` names nothing, and a
 * task's rule that names a host cannot open it where the agent's policy allows only by a glob.
 */
export function namedHostOf(policy: Policy, call: PolicyCall): string | undefined {
  const hosts = layersOf(policy).map((layer) => hostNamedBy(layer, call));
  const [first] = hosts;
  return first !== undefined && hosts.every((host) => host === first) ? first : undefined;
}

function hostNamedBy(layer: PolicyLayer, call: PolicyCall): string | undefined {
  const decision = evaluate(layer, call);
  if (decision.effect !== 'allow' || decision.rule === undefined) return undefined;
  const pattern = layer.rules[decision.rule.index]?.url?.host;
  return pattern === undefined ? undefined : hostWrittenOut(pattern);
}

/** The host a pattern names when it holds no glob (`127.0.0.1`, `Metadata.Internal`, `\[::1\]`), in lower case as URLs give it. */
function hostWrittenOut(pattern: string): string | undefined {
  const scanned = picomatch.scan(pattern, { unescape: true });
  if (scanned.isGlob || scanned.negated || scanned.base === '' || scanned.base.length > hostLimit) return undefined;
  return scanned.base.toLowerCase();
}
