import ipaddr from 'ipaddr.js';

/** A host's resolved address that a tool may connect to only when a rule names it: loopback, private, link-local and the like. */
export interface SpecialAddress {
  host: string;
  address: string;
  /** The range it falls in, as ipaddr.js names it: `loopback`, `private`, `linkLocal`, `uniqueLocal`, `carrierGradeNat`, … */
  range: string;
}

/** Says whether a special address is one a rule names (the permission broker passes the policy's). */
export type AllowPrivate = (target: SpecialAddress) => boolean;

/** Where a request may go: the address to connect to, or the address that forbids it. */
export type EgressDecision = { kind: 'connect'; address: string } | { kind: 'refuse'; target: SpecialAddress };

/** IANA's global unicast space: other IPv6 (`::7f00:1`, `::/8`, `4000::/2`) is reserved, and may reach inside the host. */
const globalUnicastV6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * The special range an address is in, or `undefined` for a public one. Only ipaddr.js's `unicast`
 * is public: anything it names (documentation, benchmarking, NAT64, 6to4, Teredo) could lead
 * somewhere a rule did not name. An IPv4-mapped IPv6 address is judged as the IPv4 it carries.
 */
export function specialRangeOf(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast') return range;
  if (parsed.kind() === 'ipv6' && !parsed.match(globalUnicastV6)) return 'reserved';
  return undefined;
}

/**
 * Where a request to `host` may connect, given every address it resolves to. One special address
 * not named by a rule refuses the host: a name that answers with a public and a private address
 * could otherwise be sent to either. It connects to the first address, the one it checked.
 */
export function egressDecision(host: string, addresses: readonly [string, ...string[]], allowPrivate: AllowPrivate): EgressDecision {
  for (const address of addresses) {
    const range = specialRangeOf(address);
    if (range !== undefined && !allowPrivate({ host, address, range })) return { kind: 'refuse', target: { host, address, range } };
  }
  return { kind: 'connect', address: addresses[0] };
}

/** The default: no special address is named. */
export const allowNoPrivate: AllowPrivate = () => false;

/**
 * Allows a special address when the request's host is one a grant names outright (or when `also`
 * does): a name as written, whatever its case; an IP literal as that address, in any of its forms. A
 * name allows what it resolves to, but an address never allows a name that resolves to it: the grant
 * names hosts, and `localhost` is not `127.0.0.1`.
 */
export function allowNamedHosts(namedHosts: readonly string[], also: AllowPrivate = allowNoPrivate): AllowPrivate {
  const named = new Set(namedHosts.map(hostKey));
  return (target) => named.has(hostKey(target.host)) || also(target);
}

/** Whether the grant's named hosts hold `host`, compared as `allowNamedHosts` compares them. */
export function namesHost(namedHosts: readonly string[], host: string): boolean {
  const key = hostKey(host);
  return namedHosts.some((named) => hostKey(named) === key);
}

/** A host in one form for comparing: lower case, an IPv6 literal without brackets and compressed. */
function hostKey(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  // Only the usual forms count as literals: a grant naming `2130706433` names no address.
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare).toString();
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare).toString();
  return bare;
}
