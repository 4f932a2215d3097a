import { readFileSync } from 'node:fs';
import { serviceNames } from '../../packages/cli/src/service-names.ts';
import { Environment } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deployDir, natsUsers, yamlDocuments, yamlFilesIn } from './manifests.ts';

/**
 * deploy/k8s/ checked without a cluster: every manifest parses and is a kind this checks; every service
 * has a Deployment from the one image, running it as its own NATS user whose password is in the Secret,
 * with probes on the health port and a grace that outlasts the drain; the NATS chart's values make a
 * 3-node JetStream cluster that syncs always, with every user of deploy/nats/users.conf.
 */
const EnvVar = z.object({ name: z.string(), value: z.string().optional(), valueFrom: z.record(z.string(), z.unknown()).optional() }).strict();
const Probe = z.object({ httpGet: z.object({ path: z.string(), port: z.string() }).strict() }).loose();
const Container = z
  .object({
    name: z.string(),
    image: z.string(),
    args: z.array(z.string()),
    env: z.array(EnvVar),
    ports: z.array(z.object({ name: z.string(), containerPort: z.number().int() }).strict()).optional(),
    startupProbe: Probe.optional(),
    livenessProbe: Probe.optional(),
    readinessProbe: Probe.optional(),
    resources: z.object({ requests: z.object({ cpu: z.string(), memory: z.string() }).strict(), limits: z.object({ memory: z.string() }).strict() }).strict(),
    securityContext: z.object({ allowPrivilegeEscalation: z.literal(false), readOnlyRootFilesystem: z.literal(true), capabilities: z.object({ drop: z.tuple([z.literal('ALL')]) }) }).strict(),
  })
  .loose();
const Labels = z.record(z.string(), z.string());
const PodSpec = z
  .object({
    terminationGracePeriodSeconds: z.number().optional(),
    // The pause process as PID 1, to reap orphans; Node as PID 1 would leave them.
    shareProcessNamespace: z.literal(true),
    securityContext: z.object({ runAsNonRoot: z.literal(true) }).loose(),
    containers: z.array(Container).length(1),
  })
  .loose();
const Deployment = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: z.object({ name: z.string(), labels: Labels }),
  spec: z.object({ replicas: z.number().int().min(1), selector: z.object({ matchLabels: Labels }), template: z.object({ metadata: z.object({ labels: Labels }), spec: PodSpec }) }),
});
const Job = z.object({ apiVersion: z.literal('batch/v1'), kind: z.literal('Job'), metadata: z.object({ name: z.string() }).loose(), spec: z.object({ template: z.object({ metadata: z.object({ labels: Labels }), spec: PodSpec }).loose() }).loose() });
const Service = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: z.object({ name: z.string() }).loose(),
  spec: z.object({ selector: Labels, ports: z.array(z.object({ name: z.string(), port: z.number(), targetPort: z.string() }).strict()) }),
});
const Selector = z.object({ matchLabels: Labels, matchExpressions: z.array(z.object({ key: z.string(), operator: z.literal('In'), values: z.array(z.string()).min(1) }).strict()).optional() }).strict();
type Selector = z.infer<typeof Selector>;
const DisruptionBudget = z.object({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata: z.object({ name: z.string() }).loose(),
  spec: z.object({ maxUnavailable: z.number().int(), selector: Selector }).strict(),
});
const PolicyPort = z.object({ protocol: z.enum(['TCP', 'UDP']), port: z.union([z.string(), z.number().int()]) }).strict();
const IpBlock = z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).strict();
const PolicyPeer = z.union([z.object({ namespaceSelector: z.object({}).strict().optional(), podSelector: Selector.optional() }).strict(), z.object({ ipBlock: IpBlock }).strict()]);
const NetworkPolicy = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: z.object({ name: z.string() }).loose(),
  spec: z.union([
    z.object({ podSelector: Selector, policyTypes: z.tuple([z.literal('Ingress')]), ingress: z.array(z.object({ from: z.array(PolicyPeer).optional(), ports: z.array(PolicyPort) }).strict()) }).strict(),
    z.object({ podSelector: Selector, policyTypes: z.tuple([z.literal('Egress')]), egress: z.array(z.object({ to: z.array(PolicyPeer).min(1), ports: z.array(PolicyPort).optional() }).strict()) }).strict(),
  ]),
});
const Manifest = z.discriminatedUnion('kind', [Deployment, Job, Service, DisruptionBudget, NetworkPolicy]);
type Manifest = z.infer<typeof Manifest>;

const manifestFiles = yamlFilesIn('k8s').filter((name) => name !== 'nats-values.yaml');
const manifests: Manifest[] = manifestFiles.flatMap((name) => yamlDocuments(`${deployDir}k8s/${name}`).map((document) => Manifest.parse(document)));
const deployments = manifests.filter((manifest) => manifest.kind === 'Deployment');
const users = natsUsers();
const cliVersion = (JSON.parse(readFileSync(`${deployDir}../packages/cli/package.json`, 'utf8')) as { version: string }).version;
const image = `signalbox:${cliVersion}`;

function envOf(container: z.infer<typeof Container>): Map<string, z.infer<typeof EnvVar>> {
  return new Map(container.env.map((variable) => [variable.name, variable]));
}

function secretOf(variable: z.infer<typeof EnvVar> | undefined): unknown {
  return variable?.valueFrom?.['secretKeyRef'];
}

describe('deploy/k8s', () => {
  it('holds manifests, each a Deployment, Job, Service, PodDisruptionBudget or NetworkPolicy, named once', () => {
    expect(manifestFiles).toEqual(['availability.yaml', 'init-job.yaml', 'services.yaml']);
    const names = manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(serviceNames)('%s has a Deployment running it from the one image, as its own NATS user', (service) => {
    const deployment = deployments.find((candidate) => candidate.metadata.name === `signalbox-${service}`);
    if (!deployment) throw new Error(`no Deployment signalbox-${service}`);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const [container] = deployment.spec.template.spec.containers;
    expect(container?.image).toBe(image);
    expect(container?.args).toEqual(['run', service]);
    const env = envOf(container!);
    expect(env.get('SIGNALBOX_NATS_USER')?.value).toBe(service);
    expect(users.has(service), `users.conf has no user ${service}`).toBe(true);
    expect(secretOf(env.get('SIGNALBOX_NATS_PASSWORD'))).toEqual({ name: 'signalbox-nats', key: service });
    expect(env.get('SIGNALBOX_REPLICAS')?.value).toBe('3');
  });

  it.each(deployments.map((deployment) => [deployment.metadata.name, deployment] as const))('%s probes its health port, and its grace outlasts its drain', (_, deployment) => {
    const { spec } = deployment.spec.template;
    const container = spec.containers[0]!;
    const env = envOf(container);
    const healthPort = container.ports?.find((port) => port.name === 'health')?.containerPort;
    expect(env.get('SIGNALBOX_HEALTH_PORT')?.value).toBe(String(healthPort));
    // Probes come from the kubelet, not loopback.
    expect(env.get('SIGNALBOX_HEALTH_HOST')?.value).toBe('0.0.0.0');
    expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    const drainMs = Number(env.get('SIGNALBOX_STOP_GRACE_MS')?.value);
    expect(drainMs).toBeGreaterThan(0);
    expect((spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(drainMs);
  });

  it('sets only variables Signalbox reads, so a misspelt one cannot pass unnoticed', () => {
    const known = new Set(Object.keys(Environment.shape));
    const pods = manifests.flatMap((manifest) => (manifest.kind === 'Deployment' || manifest.kind === 'Job' ? [manifest.spec.template.spec] : []));
    const unknown = pods.flatMap((pod) => pod.containers.flatMap((container) => container.env.map((variable) => variable.name))).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  });

  it('runs `signalbox init` once as the admin, who alone may manage JetStream', () => {
    const job = manifests.find((manifest) => manifest.kind === 'Job');
    const container = job?.spec.template.spec.containers[0];
    expect(container?.args).toEqual(['init']);
    expect(container?.image).toBe(image);
    const env = envOf(container!);
    expect(env.get('SIGNALBOX_NATS_USER')?.value).toBe('signalbox-admin');
    expect(secretOf(env.get('SIGNALBOX_NATS_PASSWORD'))).toEqual({ name: 'signalbox-nats', key: 'signalbox-admin' });
  });

  it("serves the gateway through a Service that selects the gateway's pods and port", () => {
    const service = manifests.find((manifest) => manifest.kind === 'Service');
    const gateway = deployments.find((deployment) => deployment.metadata.name === 'signalbox-gateway');
    expect(service?.spec.selector).toEqual(gateway?.spec.template.metadata.labels);
    const ports = gateway?.spec.template.spec.containers[0]?.ports?.map((port) => port.name);
    expect(ports).toContain(service?.spec.ports[0]?.targetPort);
  });

  it.each(deployments.map((deployment) => [deployment.metadata.name, deployment] as const))('%s has a disruption budget that lets a drain evict one of its pods at a time', (_, deployment) => {
    const budgets = manifests.filter((manifest) => manifest.kind === 'PodDisruptionBudget' && selects(manifest.spec.selector, deployment.spec.template.metadata.labels));
    expect(budgets).toHaveLength(1);
    expect(budgets[0]).toMatchObject({ spec: { maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } } });
  });

  it.each(deployments.map((deployment) => [deployment.metadata.name, deployment] as const))('%s lets in only the ports a policy names: metrics from Prometheus, and the API on the gateway', (name, deployment) => {
    const labels = deployment.spec.template.metadata.labels;
    const rules = policiesOf(labels).flatMap((policy) => ('ingress' in policy.spec ? policy.spec.ingress : []));
    const open = rules.filter((rule) => rule.from === undefined).flatMap((rule) => rule.ports.map((port) => port.port));
    expect(open).toEqual(name === 'signalbox-gateway' ? ['http'] : []);
    const scraped = rules.filter((rule) => rule.from !== undefined);
    expect(scraped.flatMap((rule) => rule.ports.map((port) => port.port))).toEqual(['metrics']);
    expect(scraped.flatMap((rule) => rule.from ?? [])).toEqual([{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }]);
    // Each port a policy lets in is one the pod names.
    const named = new Set(deployment.spec.template.spec.containers[0]?.ports?.map((port) => port.name));
    for (const port of [...open, 'metrics']) expect(named.has(String(port)), `${name} names no port ${port}`).toBe(true);
  });

  // What each pod may reach beyond NATS, DNS and a collector: the services that call a model, HTTPS;
  // the tool executor (http.fetch), any port. Always public addresses only.
  const internet: Record<string, (string | number)[] | 'any port'> = { 'session-actor': [443], supervisor: [443], grader: [443], 'memory-consolidator': [443], 'tool-executor': 'any port' };
  const pods = [...deployments.map((deployment) => deployment.spec.template.metadata.labels), ...manifests.flatMap((manifest) => (manifest.kind === 'Job' ? [manifest.spec.template.metadata.labels] : []))];
  const notPublic = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'];

  it.each(pods.map((labels) => [labels['app.kubernetes.io/component'] ?? '?', labels] as const))('%s may reach NATS, DNS and a collector, and public addresses only if it calls a model or fetches', (component, labels) => {
    const rules = policiesOf(labels).flatMap((policy) => ('egress' in policy.spec ? policy.spec.egress : []));
    const byPod = rules.flatMap((rule) => rule.to.flatMap((peer) => ('podSelector' in peer ? [[peer.podSelector?.matchLabels, rule.ports]] : [])));
    expect(byPod).toEqual([
      [{ 'app.kubernetes.io/name': 'nats' }, [{ protocol: 'TCP', port: 4222 }]],
      [{ 'k8s-app': 'kube-dns' }, [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]],
      [{ 'app.kubernetes.io/name': 'opentelemetry-collector' }, [{ protocol: 'TCP', port: 4318 }]],
    ]);
    const outward = rules.filter((rule) => rule.to.some((peer) => 'ipBlock' in peer));
    const allowed = internet[component];
    expect(outward.map((rule) => rule.ports?.map((port) => port.port) ?? 'any port')).toEqual(allowed === undefined ? [] : [allowed]);
    for (const peer of outward.flatMap((rule) => rule.to)) {
      if (!('ipBlock' in peer)) throw new Error(`${component}: a rule to public addresses also names ${JSON.stringify(peer)}`);
      if (peer.ipBlock.cidr.includes(':')) expect(peer.ipBlock).toEqual({ cidr: '2000::/3' });
      else expect(peer.ipBlock).toEqual({ cidr: '0.0.0.0/0', except: notPublic });
    }
  });
});

/** Whether a selector's labels and expressions all hold on a pod's labels. */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  const matched = Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value);
  return matched && (selector.matchExpressions ?? []).every(({ key, values }) => values.includes(labels[key] ?? ''));
}

/** The NetworkPolicies that select a pod with these labels. */
function policiesOf(labels: Record<string, string>): Extract<Manifest, { kind: 'NetworkPolicy' }>[] {
  return manifests.filter((manifest) => manifest.kind === 'NetworkPolicy').filter((policy) => selects(policy.spec.podSelector, labels));
}

describe('deploy/k8s/nats-values.yaml', () => {
  const Values = z.object({
    config: z.object({
      cluster: z.object({ enabled: z.literal(true), replicas: z.literal(3) }),
      jetstream: z.object({ enabled: z.literal(true), merge: z.object({ sync_interval: z.literal('always') }) }).loose(),
      merge: z.object({ '00$include': z.literal('users.conf') }),
    }),
    container: z.object({ env: z.record(z.string(), z.object({ valueFrom: z.object({ secretKeyRef: z.object({ name: z.literal('signalbox-nats'), key: z.string() }) }) })) }).loose(),
  });
  const [document] = yamlDocuments(`${deployDir}k8s/nats-values.yaml`);

  it('makes a 3-node JetStream cluster that syncs every write, and includes users.conf', () => {
    expect(() => Values.parse(document)).not.toThrow();
  });

  it("gives the server every password users.conf reads, each from the user's key in the Secret", () => {
    const { env } = Values.parse(document).container;
    expect(users.size).toBeGreaterThan(10);
    for (const [user, variable] of users) expect(env[variable]?.valueFrom.secretKeyRef.key, variable).toBe(user);
    expect(Object.keys(env).sort()).toEqual([...users.values()].sort());
  });
});

describe('reading manifests', () => {
  it('refuses a manifest with a duplicate key or broken YAML, naming the file', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const dir = await mkdtemp(`${deployDir}../.test-k8s-`);
    try {
      await writeFile(`${dir}/dup.yaml`, 'kind: Deployment\nkind: Job\n');
      expect(() => yamlDocuments(`${dir}/dup.yaml`)).toThrow(/dup\.yaml: .*unique/i);
      await writeFile(`${dir}/broken.yaml`, 'spec: { replicas: [1, 2\n');
      expect(() => yamlDocuments(`${dir}/broken.yaml`)).toThrow(/broken\.yaml/);
      expect(() => Manifest.parse({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
