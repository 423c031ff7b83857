// Start order from depends_on, cycle detection, and the host ports a project binds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostPorts, normalizeCompose, parseCompose, startOrder } from '../../src/compose/index.ts';
import type { ComposeProject, ServiceSpec } from '../../src/compose/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

function project(text: string): ComposeProject {
  return normalizeCompose(parseCompose(text).raw, {});
}

test('dependencies start first; independent services keep the file order', () => {
  const p = project(`
services:
  web:
    image: web
    depends_on: { api: { condition: service_healthy }, cache: { condition: service_started } }
  worker:
    image: worker
    depends_on: [db]
  api:
    image: api
    depends_on: [db, migrate]
  cache:
    image: redis
  migrate:
    image: migrate
    depends_on: [db]
  db:
    image: postgres
  docs:
    image: docs
`);
  const order = startOrder(p);
  assert.deepEqual(order, ['db', 'migrate', 'api', 'cache', 'web', 'worker', 'docs']);
  for (const service of Object.values(p.services)) {
    for (const dependency of Object.keys(service.dependsOn)) assert.ok(order.indexOf(dependency) < order.indexOf(service.name));
  }
});

test('a cycle in a project is a COMPOSE_INVALID error naming it', () => {
  const spec = (name: string, dependsOn: string[]): ServiceSpec => ({
    name,
    image: name,
    environment: {},
    ports: [],
    volumes: [],
    networks: ['default'],
    dependsOn: Object.fromEntries(dependsOn.map((d) => [d, { condition: 'service_started' as const }])),
    labels: {},
    capAdd: [],
  });
  const cyclic: ComposeProject = {
    services: { a: spec('a', []), b: spec('b', ['c']), c: spec('c', ['d']), d: spec('d', ['b']) },
    volumes: [],
    networks: ['default'],
    config: [],
    snapshot: {},
    hooks: [],
  };
  assert.throws(
    () => startOrder(cyclic),
    (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID') && e.message === 'services depend on each other in a cycle (b → c → d → b): break it in depends_on',
  );
});

test('hostPorts lists fixed host ports with their service; ephemeral ones are left out', () => {
  const p = project(`
services:
  web:
    image: web
    ports: ["80:8080", "127.0.0.1:8443:443", "9000", "[::1]:5353:53/udp"]
  metrics:
    image: metrics
    ports:
      - target: 9100
        published: "9100"
        host_ip: 0.0.0.0
      - target: 9200
        host_ip: 127.0.0.1
  db:
    image: postgres
`);
  assert.deepEqual(hostPorts(p), [
    { hostIp: '', hostPort: 80, protocol: 'tcp', service: 'web' },
    { hostIp: '127.0.0.1', hostPort: 8443, protocol: 'tcp', service: 'web' },
    { hostIp: '::1', hostPort: 5353, protocol: 'udp', service: 'web' },
    { hostIp: '0.0.0.0', hostPort: 9100, protocol: 'tcp', service: 'metrics' },
  ]);
});
