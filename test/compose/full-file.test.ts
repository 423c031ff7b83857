// A compose.yaml using every supported key parses, and normalises to exactly the expected typed specs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeCompose, parseCompose, resolveValues } from '../../src/compose/index.ts';
import type { ServiceSpec } from '../../src/compose/index.ts';

const FULL = `
name: netmon
x-defaults: &defaults
  restart: unless-stopped
  logging:
    driver: json-file
    options: { max-size: 10m, max-file: 3 }
services:
  web:
    <<: *defaults
    image: "registry.example.com/netmon/web:\${TAG:-1.4.2}"
    command: ["serve", "--port", "8080"]
    entrypoint: /docker-entrypoint.sh --verbose
    environment:
      DB_URL: "postgres://netmon:\${DB_PASSWORD}@db:5432/netmon"
      WORKERS: 4
      DEBUG: false
      PRICE: "$$5"
    ports:
      - "\${HTTP_PORT}:8080"
      - "127.0.0.1:9090:9090/udp"
      - 7000
      - target: 8443
        published: "8443"
        host_ip: "::1"
        protocol: tcp
    volumes:
      - data:/var/lib/netmon
      - ./conf:/etc/netmon:ro
      - type: tmpfs
        target: /tmp
      - type: bind
        source: /etc/localtime
        target: /etc/localtime
        read_only: true
    networks: [front, back]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost:8080/health"]
      interval: 1m30s
      timeout: 5s
      retries: 3
      start_period: 10s
      start_interval: 500ms
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
    labels:
      com.example.tier: frontend
    user: "1000:1000"
    working_dir: /srv
    cap_add: [NET_ADMIN]
    x-note: ignored by Compose and by Skiff
  db:
    image: postgres:15
    environment: ["POSTGRES_PASSWORD=\${DB_PASSWORD}", "POSTGRES_DB=netmon"]
    volumes: [pgdata:/var/lib/postgresql/data]
    networks:
      back:
    healthcheck:
      test: pg_isready -U postgres
    labels: ["com.example.tier=db"]
    user: 999
  migrate:
    image: "registry.example.com/netmon/migrate:\${TAG:-1.4.2}"
    depends_on: [db]
    network_mode: "service:db"
    restart: "no"
  probe:
    image: busybox
    network_mode: host
    healthcheck:
      disable: true
volumes:
  data:
  pgdata: { driver: local }
networks:
  front:
  back: { driver: bridge }
x-skiff:
  config:
    HTTP_PORT: { type: port, default: 8080, description: Port the UI listens on }
    DB_PASSWORD: { type: string, required: true, secret: true }
    TAG: { type: string }
`;

const web: ServiceSpec = {
  name: 'web',
  image: 'registry.example.com/netmon/web:1.4.2',
  command: ['serve', '--port', '8080'],
  entrypoint: ['/docker-entrypoint.sh', '--verbose'],
  environment: { DB_URL: 'postgres://netmon:hunter2@db:5432/netmon', WORKERS: '4', DEBUG: 'false', PRICE: '$5' },
  ports: [
    { hostIp: '', hostPort: 18080, containerPort: 8080, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 9090, containerPort: 9090, protocol: 'udp' },
    { hostIp: '', containerPort: 7000, protocol: 'tcp' },
    { hostIp: '::1', hostPort: 8443, containerPort: 8443, protocol: 'tcp' },
  ],
  volumes: [
    { type: 'volume', source: 'data', target: '/var/lib/netmon', readOnly: false },
    { type: 'bind', source: './conf', target: '/etc/netmon', readOnly: true },
    { type: 'tmpfs', target: '/tmp', readOnly: false },
    { type: 'bind', source: '/etc/localtime', target: '/etc/localtime', readOnly: true },
  ],
  networks: ['front', 'back'],
  healthcheck: {
    test: ['CMD', 'wget', '-q', '-O-', 'http://localhost:8080/health'],
    intervalNs: 90e9,
    timeoutNs: 5e9,
    retries: 3,
    startPeriodNs: 10e9,
    startIntervalNs: 500e6,
  },
  dependsOn: { db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } },
  restart: 'unless-stopped',
  labels: { 'com.example.tier': 'frontend' },
  user: '1000:1000',
  workingDir: '/srv',
  capAdd: ['NET_ADMIN'],
  logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
};

test('a file with every supported key parses: settings, image refs as written, raw without extension fields', () => {
  const parsed = parseCompose(FULL);
  assert.equal(parsed.name, 'netmon');
  assert.deepEqual(parsed.imageRefs, {
    web: 'registry.example.com/netmon/web:${TAG:-1.4.2}',
    db: 'postgres:15',
    migrate: 'registry.example.com/netmon/migrate:${TAG:-1.4.2}',
    probe: 'busybox',
  });
  assert.deepEqual(parsed.config, [
    { name: 'HTTP_PORT', type: 'port', default: 8080, required: false, secret: false, description: 'Port the UI listens on' },
    { name: 'DB_PASSWORD', type: 'string', required: true, secret: true },
    { name: 'TAG', type: 'string', required: false, secret: false },
  ]);
  const raw = parsed.raw as Record<string, Record<string, Record<string, unknown>>>;
  assert.equal(raw['x-defaults'], undefined);
  assert.equal(raw['services']?.['web']?.['x-note'], undefined);
  assert.equal(raw['services']?.['web']?.['restart'], 'unless-stopped', 'merge keys are applied');
  assert.deepEqual(JSON.parse(JSON.stringify(parsed.raw)), parsed.raw, 'raw is JSON-safe');
});

test('the full file normalises to the expected service specs', () => {
  const parsed = parseCompose(FULL);
  const values = resolveValues(parsed.config, { HTTP_PORT: 18080, DB_PASSWORD: 'hunter2' });
  const project = normalizeCompose(parsed.raw, values);
  assert.deepEqual(project.services['web'], web);
  assert.deepEqual(project.services['db'], {
    name: 'db',
    image: 'postgres:15',
    environment: { POSTGRES_PASSWORD: 'hunter2', POSTGRES_DB: 'netmon' },
    ports: [],
    volumes: [{ type: 'volume', source: 'pgdata', target: '/var/lib/postgresql/data', readOnly: false }],
    networks: ['back'],
    healthcheck: { test: ['CMD-SHELL', 'pg_isready -U postgres'] },
    dependsOn: {},
    labels: { 'com.example.tier': 'db' },
    user: '999',
    capAdd: [],
  });
  assert.deepEqual(project.services['migrate'], {
    name: 'migrate',
    image: 'registry.example.com/netmon/migrate:1.4.2',
    environment: {},
    ports: [],
    volumes: [],
    networks: [],
    networkMode: 'service:db',
    dependsOn: { db: { condition: 'service_started' } },
    restart: 'no',
    labels: {},
    capAdd: [],
  });
  assert.deepEqual(project.services['probe']?.healthcheck, { test: ['NONE'] });
  assert.deepEqual(project.services['probe']?.networks, []);
  assert.equal(project.services['probe']?.networkMode, 'host');
  assert.deepEqual(project.volumes, ['data', 'pgdata']);
  assert.deepEqual(project.networks, ['front', 'back']);
  assert.deepEqual(project.config, parsed.config);
});

test('a value overrides an interpolation default, and the default network is implied only when used', () => {
  const parsed = parseCompose('services:\n  app:\n    image: "app:${TAG:-1.0}"\nx-skiff:\n  config:\n    TAG: { type: string }\n');
  const project = normalizeCompose(parsed.raw, resolveValues(parsed.config, { TAG: '2.0' }));
  assert.equal(project.services['app']?.image, 'app:2.0');
  assert.deepEqual(project.services['app']?.networks, ['default']);
  assert.deepEqual(project.networks, ['default']);
});
