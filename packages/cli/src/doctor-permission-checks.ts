import type { PermissionBrokerStatus } from '@signalbox/events';
import type { Finding } from './doctor-checks.ts';

/** What doctor saw of the permission broker, and what would call on it. */
export interface PermissionFacts {
  /** The replicas that answered on `<prefix>.rpc.permission.status` within a short wait. */
  brokers: PermissionBrokerStatus[];
  /** `SIGNALBOX_GRANT_SIGNERS` here: the brokers whose grants tool executors started here require. */
  grantSigners: string[];
  /** Agents in the agents bucket naming a policy the policies bucket does not hold. */
  unstoredPolicies: { agent: string; policy: string }[];
}

/** What keeps tool calls from running: no broker to ask, no broker whose grants executors accept, a policy missing. */
export function permissionFindings(facts: PermissionFacts): Finding[] {
  return [...brokerFindings(facts), ...facts.unstoredPolicies.map(unstoredPolicyFinding)];
}

function brokerFindings({ brokers, grantSigners }: PermissionFacts): Finding[] {
  if (brokers.length === 0) {
    return [
      {
        level: 'warn',
        message:
          'No permission broker answers: tool calls of new sessions wait for one and are then denied. ' +
          'Start one with `signalbox run permission-broker` (or `signalbox up`).',
      },
    ];
  }
  const signers = new Set(grantSigners);
  if (signers.size === 0 || brokers.some((broker) => broker.signer !== undefined && signers.has(broker.signer))) return [];
  const seen = brokers.map((broker) => `${broker.instance} (${broker.signer ?? 'signs no grants'})`).join(', ');
  return [
    {
      level: 'warn',
      message:
        `SIGNALBOX_GRANT_SIGNERS names ${keys(signers.size)} no answering permission broker signs with: tool executors started with it ` +
        `would refuse every call. Brokers answering: ${seen}. Give a broker the seed of a key it names (SIGNALBOX_PERMISSION_BROKER_SEED), or name the brokers' keys in it.`,
    },
  ];
}

function unstoredPolicyFinding({ agent, policy }: { agent: string; policy: string }): Finding {
  return {
    level: 'warn',
    message: `Agent ${agent} names policy ${policy}, which the policies bucket does not hold: the broker denies its tool calls. Apply it with \`signalbox policies apply -f <file>\`.`,
  };
}

function keys(count: number): string {
  return count === 1 ? '1 key' : `${count} keys`;
}
