// Every problem in a compose.yaml is an error with a stable code naming the key's path and its line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCompose } from '../../src/compose/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import type { SkiffErrorCode } from '../../src/util/errors.ts';

function rejects(text: string, code: SkiffErrorCode, message: string | RegExp): void {
  assert.throws(
    () => parseCompose(text),
    (e: unknown) => {
      assert.ok(isSkiffError(e, code), `expected ${code}, got ${String(e)}`);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one-line message');
      return true;
    },
  );
}

const SERVICE_KEYS =
  'image, command, entrypoint, environment, env_file, ports, volumes, networks, healthcheck, depends_on, restart, labels, user, working_dir, network_mode, cap_add, logging';

test('an unsupported service key names its path and line', () => {
  const text = ['services:', '  web:', '    image: nginx', '    ports: ["80:80"]', '    privileged: true', ''].join('\n');
  rejects(text, 'COMPOSE_UNSUPPORTED_KEY', `compose.yaml line 5: services.web.privileged is not supported by Skiff (supported: ${SERVICE_KEYS})`);
});

test('build is unsupported, with a hint to build the image first', () => {
  const text = ['services:', '  db:', '    image: postgres', '  web:', '    build: .', '    image: web', ''].join('\n');
  rejects(text, 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 5: services\.web\.build is not supported by Skiff \(supported: .*\); build the image beforehand/);
});

test('unsupported top-level keys (deploy, secrets, version) name their line', () => {
  rejects('services:\n  web:\n    image: x\n\nsecrets:\n  s: {}\n', 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 5: secrets is not supported by Skiff \(supported: name, services, volumes, networks, x-skiff\)$/);
  rejects('version: "3.8"\nservices:\n  web:\n    image: x\n', 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 1: version is not supported .*obsolete/);
  rejects('services:\n  web:\n    image: x\n    deploy:\n      replicas: 2\n', 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 4: services\.web\.deploy is not supported/);
});

test('unsupported nested keys: long port, long volume, healthcheck, depends_on, network attachment, setting', () => {
  const cases: [string, string][] = [
    ['    ports:\n      - target: 80\n        mode: host\n', 'line 6: services.web.ports[0].mode'],
    ['    volumes:\n      - type: volume\n        source: d\n        target: /d\n        volume: { nocopy: true }\n', 'line 8: services.web.volumes[0].volume'],
    ['    healthcheck:\n      test: ["NONE"]\n      foo: 1\n', 'line 6: services.web.healthcheck.foo'],
    ['    depends_on:\n      db: { condition: service_started, required: false }\n', 'line 5: services.web.depends_on.db.required'],
    ['    networks:\n      front:\n        aliases: [www]\n', 'line 6: services.web.networks.front.aliases'],
    ['    logging:\n      driver: local\n      mode: non-blocking\n', 'line 6: services.web.logging.mode'],
  ];
  for (const [lines, where] of cases) {
    rejects(`services:\n  web:\n    image: x\n${lines}`, 'COMPOSE_UNSUPPORTED_KEY', new RegExp(`^compose\\.yaml ${where.replace(/[.[\]]/g, '\\$&')} is not supported`));
  }
  rejects('services:\n  web:\n    image: x\nx-skiff:\n  config:\n    A:\n      type: string\n      hidden: true\n', 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 8: x-skiff\.config\.A\.hidden is not supported/);
  rejects('services:\n  web:\n    image: x\nx-skiff:\n  migrations: {}\n', 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 5: x-skiff\.migrations is not supported by Skiff \(supported: config, volumes, hooks, logs\)/);
});

test('every problem is listed, one line each in file order, under a one-line summary', () => {
  assert.throws(
    () => parseCompose('services:\n  web:\n    image: 3\n    privileged: true\n    ports: "80"\n'),
    (e: unknown) => {
      assert.ok(isSkiffError(e, 'COMPOSE_INVALID'), String(e));
      assert.equal(e.message, 'compose.yaml has 3 problems:');
      assert.deepEqual(e.details, [
        'compose.yaml line 3: services.web.image must be a string (found number 3)',
        `compose.yaml line 4: services.web.privileged is not supported by Skiff (supported: ${SERVICE_KEYS})`,
        'compose.yaml line 5: services.web.ports must be a list (found string "80")',
      ]);
      return true;
    },
  );
});

test('a mistyped key is named with the key it most likely meant, and the problem it causes is listed too', () => {
  assert.throws(
    () => parseCompose('services:\n  web:\n    imgae: nginx\n'),
    (e: unknown) => {
      assert.ok(isSkiffError(e), String(e));
      assert.equal(e.message, 'compose.yaml has 2 problems:');
      assert.deepEqual(e.details, [
        'compose.yaml line 2: services.web.image is required: Skiff runs prebuilt images, so every service names one',
        'compose.yaml line 3: services.web.imgae is not supported by Skiff: did you mean image?',
      ]);
      return true;
    },
  );
  const typos: [string, string][] = [
    ['services:\n  web:\n    image: x\n    enviroment: { A: 1 }\n', 'services.web.enviroment is not supported by Skiff: did you mean environment?'],
    ['services:\n  web:\n    image: x\n    depends-on: [db]\n  db:\n    image: y\n', 'services.web.depends-on is not supported by Skiff: did you mean depends_on?'],
    ['services:\n  web:\n    image: x\n    healthcheck:\n      intervall: 5s\n', 'services.web.healthcheck.intervall is not supported by Skiff: did you mean interval?'],
    ['services:\n  web:\n    image: x\nVolumes:\n  data: {}\n', 'Volumes is not supported by Skiff: did you mean volumes?'],
  ];
  for (const [text, says] of typos) rejects(text, 'COMPOSE_UNSUPPORTED_KEY', new RegExp(`^compose\\.yaml line \\d+: ${says.replace(/[.?]/g, '\\$&')}$`));
  // A key of full Compose that Skiff leaves out is not anyone's typo: no suggestion.
  rejects('services:\n  web:\n    image: x\n    tmpfs: /run\n', 'COMPOSE_UNSUPPORTED_KEY', /tmpfs is not supported by Skiff \(supported: /);
});

test('wrong types name the path and line', () => {
  const cases: [string, RegExp][] = [
    ['    ports: "80:80"\n', /^compose\.yaml line 4: services\.web\.ports must be a list \(found string "80:80"\)$/],
    ['    environment: { A: [1] }\n', /^compose\.yaml line 4: services\.web\.environment\.A must be a string, a number or a boolean/],
    ['    environment: { A: }\n', /line 4: services\.web\.environment\.A must be a string, a number or a boolean \(Skiff passes no host environment/],
    ['    environment: ["NOVALUE"]\n', /line 4: services\.web\.environment\[0\] must be KEY=VALUE$/],
    ['    command: { a: 1 }\n', /line 4: services\.web\.command must be a string or a list of strings$/],
    ['    command: "echo \'unterminated"\n', /line 4: services\.web\.command has an unterminated ' quote$/],
    ['    healthcheck:\n      retries: many\n', /line 5: services\.web\.healthcheck\.retries must be a whole number$/],
    ['    healthcheck:\n      test: ["RUN", "x"]\n', /line 5: services\.web\.healthcheck\.test must be \["CMD"/],
    ['    healthcheck:\n      interval: 10\n', /line 5: services\.web\.healthcheck\.interval must be a duration like '30s'/],
    ['    healthcheck:\n      timeout: 10 seconds\n', /line 5: services\.web\.healthcheck\.timeout is not a duration/],
    ['    depends_on:\n      db: { condition: service_ready }\n', /line 5: services\.web\.depends_on\.db\.condition must be "service_started" or "service_healthy" or "service_completed_successfully"$/],
    ['    restart: sometimes\n', /line 4: services\.web\.restart must be no, always, unless-stopped, on-failure or on-failure:N$/],
    ['    user: [1]\n', /line 4: services\.web\.user must be a user name or id$/],
    ['    working_dir: srv\n', /line 4: services\.web\.working_dir must be an absolute path$/],
    ['    network_mode: overlay\n', /line 4: services\.web\.network_mode must be host, none, bridge, service:NAME or container:NAME$/],
    ['    cap_add: NET_ADMIN\n', /line 4: services\.web\.cap_add must be a list/],
    ['    labels: { skiff.app: other }\n', /line 4: services\.web\.labels\["skiff\.app"\] is reserved/],
    ['    ports: ["80:80:80:80"]\n', /line 4: services\.web\.ports\[0\] is not a port mapping \(put an IPv6 host address in brackets\)/],
    ['    ports: ["70000:80"]\n', /line 4: services\.web\.ports\[0\] has port 70000, outside 1-65535$/],
    ['    ports: ["8000-8002:80-81"]\n', /line 4: services\.web\.ports\[0\] maps a host port range onto a container range of another size/],
    ['    ports: ["80/sctp"]\n', /line 4: services\.web\.ports\[0\] has protocol "sctp": Skiff supports tcp and udp$/],
    ['    ports: [true]\n', /line 4: services\.web\.ports\[0\] must be a port mapping like "8080:80"/],
    ['    volumes: ["data:relative"]\n', /line 4: services\.web\.volumes\[0\] has target "relative": a mount target must be an absolute path/],
    ['    volumes: ["./x:/y:z"]\n', /line 4: services\.web\.volumes\[0\] has mode "z": Skiff supports ro and rw$/],
    ['    volumes:\n      - type: nfs\n        target: /x\n', /line 5: services\.web\.volumes\[0\]\.type must be "volume" or "bind" or "tmpfs"$/],
    ['    volumes:\n      - type: bind\n        target: /x\n', /line 5: services\.web\.volumes\[0\] is a bind mount without a source path$/],
    ['    env_file: .env\n', /line 4: services\.web\.env_file names host files, which a release cannot carry: declare settings in x-skiff\.config/],
  ];
  for (const [lines, message] of cases) rejects(`services:\n  web:\n    image: x\n${lines}`, 'COMPOSE_INVALID', message);
});

test('top-level shapes: services, volumes, networks, settings', () => {
  rejects('services: []\n', 'COMPOSE_INVALID', 'compose.yaml line 1: services must be a mapping (found a list)');
  rejects('services: {}\n', 'COMPOSE_INVALID', 'compose.yaml line 1: services must define at least one service');
  rejects('volumes: {}\n', 'COMPOSE_INVALID', /^compose\.yaml line 1: services is required/);
  rejects('- a\n', 'COMPOSE_INVALID', /^compose\.yaml line 1: \(top level\) must be a mapping with services \(found a list\)$/);
  rejects('', 'COMPOSE_INVALID', 'compose.yaml is empty: it must define services');
  rejects('services:\n  web:\n    command: run\n', 'COMPOSE_INVALID', /^compose\.yaml line 2: services\.web\.image is required: Skiff runs prebuilt images/);
  rejects('services:\n  "web app":\n    image: x\n', 'COMPOSE_INVALID', /^compose\.yaml line 2: services\["web app"\] is not a valid name/);
  rejects('services:\n  web:\n    image: x\nvolumes:\n  data:\n    driver: nfs\n', 'COMPOSE_INVALID', /^compose\.yaml line 6: volumes\.data\.driver must be local, the only driver Skiff supports$/);
  rejects('services:\n  web:\n    image: x\nnetworks:\n  n:\n    external: true\n', 'COMPOSE_UNSUPPORTED_KEY', /^compose\.yaml line 6: networks\.n\.external is not supported by Skiff \(supported: driver\)$/);
  const setting = (body: string): string => `services:\n  web:\n    image: x\nx-skiff:\n  config:\n    A:\n${body}`;
  rejects(setting('      type: text\n'), 'COMPOSE_INVALID', /^compose\.yaml line 7: x-skiff\.config\.A\.type must be "string" or "number" or "boolean" or "port"$/);
  rejects(setting('      required: true\n'), 'COMPOSE_INVALID', /^compose\.yaml line 6: x-skiff\.config\.A\.type is required$/);
  rejects(setting('      type: port\n      default: 70000\n'), 'COMPOSE_INVALID', /^compose\.yaml line 8: x-skiff\.config\.A\.default must be a port \(an integer 1-65535\)$/);
  rejects(setting('      type: number\n      default: many\n'), 'COMPOSE_INVALID', /line 8: x-skiff\.config\.A\.default must be a number$/);
  rejects(setting('      type: string\n      secret: yes\n'), 'COMPOSE_INVALID', /line 8: x-skiff\.config\.A\.secret must be true or false \(found string "yes"\)$/);
  rejects('services:\n  web:\n    image: x\nx-skiff:\n  config:\n    bad-name: { type: string }\n', 'COMPOSE_INVALID', /line 6: x-skiff\.config\.bad-name is not a valid setting name/);
});

test('YAML syntax errors name the line', () => {
  rejects('services:\n  web:\n    image: x\n   bad: indent\n', 'COMPOSE_INVALID', /^compose\.yaml line 4: .*; fix the YAML syntax$/);
  rejects('services:\n  web:\n    image: x\n    image: y\n', 'COMPOSE_INVALID', /^compose\.yaml line 4: Map keys must be unique; fix the YAML syntax$/);
  rejects('services:\n  web: {image: x\n', 'COMPOSE_INVALID', /^compose\.yaml line \d+: .*fix the YAML syntax$/);
  assert.throws(() => parseCompose('services: [\n', 'deploy/compose.yaml'), /^SkiffError: deploy\/compose\.yaml line \d+: /);
});

test('cross-references: unknown services, undeclared networks and volumes, cycles', () => {
  const base = 'services:\n  web:\n    image: x\n';
  rejects(`${base}    depends_on: [db]\n`, 'COMPOSE_INVALID', 'compose.yaml line 4: services.web.depends_on[0] names service "db", which this file does not define');
  rejects(`${base}    depends_on:\n      db: { condition: service_healthy }\n`, 'COMPOSE_INVALID', /^compose\.yaml line 5: services\.web\.depends_on\.db names service "db"/);
  rejects(`${base}    networks: [front]\n`, 'COMPOSE_INVALID', /^compose\.yaml line 4: services\.web\.networks\[0\] names network "front", which is not declared under top-level networks$/);
  rejects(`${base}    volumes: ["data:/data"]\n`, 'COMPOSE_INVALID', /^compose\.yaml line 4: services\.web\.volumes\[0\] uses volume "data", which is not declared under top-level volumes$/);
  rejects(`${base}    network_mode: host\n    networks: [default]\n`, 'COMPOSE_INVALID', /^compose\.yaml line 4: services\.web\.network_mode cannot be combined with networks/);
  rejects(`${base}    network_mode: "service:vpn"\n`, 'COMPOSE_INVALID', /^compose\.yaml line 4: services\.web\.network_mode names service "vpn"/);
  rejects(`${base}    depends_on: [web]\n`, 'COMPOSE_INVALID', 'compose.yaml line 4: services.web.depends_on forms a dependency cycle (web → web): break it');
  const cycle = 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n';
  rejects(cycle, 'COMPOSE_INVALID', 'compose.yaml line 4: services.a.depends_on forms a dependency cycle (a → b → c → a): break it');
});

test('variables must be declared in x-skiff.config unless they carry a default', () => {
  rejects('services:\n  web:\n    image: "web:${TAG}"\n', 'COMPOSE_INVALID', 'compose.yaml line 3: services.web.image uses ${TAG}, which x-skiff.config does not declare: declare it there, or write ${TAG:-default}');
  rejects('services:\n  web:\n    image: x\n    environment: { A: "$HOME" }\n', 'COMPOSE_INVALID', /line 4: services\.web\.environment\.A uses \$\{HOME\}/);
  rejects('services:\n  web:\n    image: x\n    environment: { A: "cost: 5$" }\n', 'COMPOSE_INVALID', /line 4: services\.web\.environment\.A has a lone "\$": write \$\$ for a literal \$$/);
  rejects('services:\n  web:\n    image: "${TAG:-1"\n', 'COMPOSE_INVALID', /line 3: services\.web\.image has an unterminated "\$\{TAG": close it with }$/);
  rejects('services:\n  web:\n    image: "${}"\n', 'COMPOSE_INVALID', /line 3: services\.web\.image has "\$\{" without a setting name/);
  rejects('services:\n  web:\n    image: "${TAG:?set TAG}"\n', 'COMPOSE_INVALID', /line 3: services\.web\.image uses \$\{TAG\}, which x-skiff\.config does not declare/);
  const ok = parseCompose('services:\n  web:\n    image: "web:${TAG:-1.0}"\n    environment: { A: "$$HOME", B: "${X-}${Y:+y}" }\n');
  assert.deepEqual(ok.imageRefs, { web: 'web:${TAG:-1.0}' });
});

test('variables inside ports and volumes are checked only after interpolation', () => {
  const parsed = parseCompose('services:\n  web:\n    image: x\n    ports: ["${P}:80"]\n    volumes: ["${DIR}:/data"]\nx-skiff:\n  config:\n    P: { type: port }\n    DIR: { type: string }\n');
  assert.deepEqual(parsed.imageRefs, { web: 'x' });
});
