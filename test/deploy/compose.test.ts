import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { serviceNames } from '../../packages/cli/src/service-names.ts';
import { deployDir, natsUsers } from './manifests.ts';

/** deploy/compose.yaml checked without Docker; containers.test.ts runs it. */
const Container = z.object({
  image: z.string(),
  network_mode: z.literal('host'),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
}).loose();
const Compose = z.object({ services: z.record(z.string(), Container), volumes: z.record(z.string(), z.null()) });
const compose = Compose.parse(parse(readFileSync(`${deployDir}compose.yaml`, 'utf8'), { merge: true, uniqueKeys: true }));
const users = natsUsers();

describe('deploy/compose.yaml', () => {
  it.each(serviceNames)('runs %s twice, each as its own NATS user, on a health port of its own', (service) => {
    const replicas = Object.entries(compose.services).filter(([name]) => name.replace(/-\d+$/, '') === service);
    expect(replicas.map(([name]) => name)).toEqual([`${service}-1`, `${service}-2`]);
    for (const [, container] of replicas) {
      expect(container.command).toEqual(['run', service]);
      expect(container.environment?.['SIGNALBOX_NATS_USER']).toBe(service);
      expect(container.environment?.['SIGNALBOX_NATS_PASSWORD']).toBe(`\${${users.get(service)}:?}`);
      expect(container.environment?.['SIGNALBOX_REPLICAS']).toBe('3');
    }
    const healthPorts = replicas.map(([, container]) => container.environment?.['SIGNALBOX_HEALTH_PORT']);
    expect(new Set(healthPorts).size).toBe(2);
  });

  it('gives every health port its own variable, so no two processes on the host network share one', () => {
    const ports = Object.values(compose.services).flatMap((container) => container.environment?.['SIGNALBOX_HEALTH_PORT'] ?? []);
    expect(ports).toHaveLength(serviceNames.length * 2);
    expect(new Set(ports.map((port) => /^\$\{([A-Z0-9_]+):-\d+\}$/.exec(port)?.[1])).size).toBe(ports.length);
  });

  it('runs three NATS nodes of one cluster with every password users.conf reads, listening on loopback by default', () => {
    const nodes = ['nats-1', 'nats-2', 'nats-3'].map((name) => compose.services[name]);
    for (const node of nodes) {
      expect(Object.keys(node?.environment ?? {}).sort()).toEqual([...users.values()].sort());
      expect(node?.command).toEqual(expect.arrayContaining(['--config', '/etc/nats/cluster.conf', '--cluster_name', 'signalbox', '--addr', '${NATS_HOST:-127.0.0.1}']));
    }
    const config = readFileSync(`${deployDir}nats/cluster.conf`, 'utf8');
    expect(config).toMatch(/^\s*sync_interval: always$/m);
    expect(config).toMatch(/^include users\.conf$/m);
  });

  it('provisions as the admin before any service starts', () => {
    const init = compose.services['init'];
    expect(init?.environment?.['SIGNALBOX_NATS_USER']).toBe('signalbox-admin');
    for (const service of serviceNames) expect(compose.services[`${service}-1`]?.['depends_on']).toEqual({ init: { condition: 'service_completed_successfully' } });
  });
});
