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
const Job = z.object({ apiVersion: z.literal('batch/v1'), kind: z.literal('Job'), metadata: z.object({ name: z.string() }).loose(), spec: z.object({ template: z.object({ spec: PodSpec }).loose() }).loose() });
const Service = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: z.object({ name: z.string() }).loose(),
  spec: z.object({ selector: Labels, ports: z.array(z.object({ name: z.string(), port: z.number(), targetPort: z.string() }).strict()) }),
});
const Selector = z.object({ matchLabels: Labels }).strict();
const DisruptionBudget = z.object({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata: z.object({ name: z.string() }).loose(),
  spec: z.object({ maxUnavailable: z.number().int(), selector: Selector }).strict(),
});
const PolicyPort = z.object({ protocol: z.literal('TCP'), port: z.string() }).strict();
const PolicyPeer = z.object({ namespaceSelector: z.object({}).strict().optional(), podSelector: Selector.optional() }).strict();
const NetworkPolicy = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: z.object({ name: z.string() }).loose(),
  spec: z.object({ podSelector: Selector, policyTypes: z.tuple([z.literal('Ingress')]), ingress: z.array(z.object({ from: z.array(PolicyPeer).optional(), ports: z.array(PolicyPort) }).strict()) }).strict(),
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
    const budgets = manifests.filter((manifest) => manifest.kind === 'PodDisruptionBudget' && selects(manifest.spec.selector.matchLabels, deployment.spec.template.metadata.labels));
    expect(budgets).toHaveLength(1);
    expect(budgets[0]).toMatchObject({ spec: { maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } } });
  });

  it.each(deployments.map((deployment) => [deployment.metadata.name, deployment] as const))('%s lets in only the ports a policy names: metrics from Prometheus, and the API on the gateway', (name, deployment) => {
    const labels = deployment.spec.template.metadata.labels;
    const policies = manifests.filter((manifest) => manifest.kind === 'NetworkPolicy' && selects(manifest.spec.podSelector.matchLabels, labels));
    const rules = policies.flatMap((policy) => (policy.kind === 'NetworkPolicy' ? policy.spec.ingress : []));
    const open = rules.filter((rule) => rule.from === undefined).flatMap((rule) => rule.ports.map((port) => port.port));
    expect(open).toEqual(name === 'signalbox-gateway' ? ['http'] : []);
    const scraped = rules.filter((rule) => rule.from !== undefined);
    expect(scraped.flatMap((rule) => rule.ports.map((port) => port.port))).toEqual(['metrics']);
    expect(scraped.flatMap((rule) => rule.from ?? [])).toEqual([{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }]);
    // Each port a policy lets in is one the pod names.
    const named = new Set(deployment.spec.template.spec.containers[0]?.ports?.map((port) => port.name));
    for (const port of [...open, 'metrics']) expect(named.has(port), `${name} names no port ${port}`).toBe(true);
  });
});

/** Whether a selector's labels all hold on a pod's. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
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
