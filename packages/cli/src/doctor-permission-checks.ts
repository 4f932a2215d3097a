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
  /** Calls the sessions index lists as waiting for approval although their deadline passed over `approvalGraceMs` ago. */
  overdueApprovals: { approvalId: string; deadline: number }[];
}

/** How long past its deadline an approval may still be listed before doctor says its timer is not delivered. */
export const approvalGraceMs = 60_000;

/** What keeps tool calls from running: no broker to ask, no broker whose grants executors accept, a policy missing. */
export function permissionFindings(facts: PermissionFacts): Finding[] {
  return [...brokerFindings(facts), ...facts.unstoredPolicies.map(unstoredPolicyFinding), ...overdueFindings(facts)];
}

function overdueFindings({ overdueApprovals }: PermissionFacts): Finding[] {
  if (overdueApprovals.length === 0) return [];
  const oldest = overdueApprovals.reduce((first, approval) => (approval.deadline < first.deadline ? approval : first));
  const count = overdueApprovals.length === 1 ? '1 call is' : `${overdueApprovals.length} calls are`;
  return [
    {
      level: 'warn',
      message:
        `${count} still waiting for approval past the deadline that should have denied it (the oldest, ${oldest.approvalId}, since ${new Date(oldest.deadline).toISOString()}): ` +
        'session actors deliver the timers that deny them, and none seems to run. Start one with `signalbox run session-actor` (or `signalbox up`), or answer them with `signalbox approve|deny`.',
    },
  ];
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
