// ${NAME} interpolation: defaults, alternatives, required markers, $$ escapes, and how normalizeCompose applies it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeCompose, parseCompose, resolveValues } from '../../src/compose/index.ts';
import { interpolate, templateReferences } from '../../src/compose/interpolate.ts';
import { SyntaxIssue } from '../../src/compose/issues.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const values: Record<string, string> = { HOST: 'db.local', EMPTY: '', PORT: '5432' };
const lookup = (name: string): string | undefined => values[name];
const strict = (name: string): string => {
  throw new SyntaxIssue(`no ${name}`);
};
const render = (text: string): string => interpolate(text, lookup, strict);

test('plain references, braced and bare', () => {
  assert.equal(render('postgres://${HOST}:$PORT/app'), 'postgres://db.local:5432/app');
  assert.equal(render('${HOST}${PORT}'), 'db.local5432');
  assert.equal(render('no variables here'), 'no variables here');
  assert.throws(() => render('${MISSING}'), /no MISSING/);
});

test('$$ is a literal dollar and is never interpolated', () => {
  assert.equal(render('$$HOME and $${HOST} cost $$5'), '$HOME and ${HOST} cost $5');
  assert.equal(render('$$$HOST'), '$db.local');
});

test('defaults: :- on unset or empty, - on unset only, nested', () => {
  assert.equal(render('${MISSING:-fallback}'), 'fallback');
  assert.equal(render('${EMPTY:-fallback}'), 'fallback');
  assert.equal(render('${EMPTY-fallback}'), '');
  assert.equal(render('${MISSING-fallback}'), 'fallback');
  assert.equal(render('${HOST:-fallback}'), 'db.local');
  assert.equal(render('${MISSING:-${HOST}:${PORT}}'), 'db.local:5432');
  assert.equal(render('${MISSING:-}'), '');
  assert.equal(render('${MISSING:-a-b/c d}'), 'a-b/c d');
});

test('alternatives and required markers', () => {
  assert.equal(render('${HOST:+--host=${HOST}}'), '--host=db.local');
  assert.equal(render('${EMPTY:+set}'), '');
  assert.equal(render('${EMPTY+set}'), 'set');
  assert.equal(render('${MISSING+set}'), '');
  assert.throws(() => render('${EMPTY:?give EMPTY a value}'), /needs setting EMPTY: give EMPTY a value/);
  assert.equal(render('${EMPTY?must be set}'), '');
  assert.throws(() => render('${MISSING?must be set}'), /needs setting MISSING: must be set/);
});

test('malformed templates are syntax errors', () => {
  assert.throws(() => render('${'), SyntaxIssue);
  assert.throws(() => render('${HOST'), /has an invalid reference to HOST/);
  assert.throws(() => render('${HOST:-abc'), /unterminated "\$\{HOST"/);
  assert.throws(() => render('5$'), /lone "\$"/);
  assert.throws(() => render('${1X}'), /without a setting name/);
});

test('templateReferences tells which names need a value', () => {
  assert.deepEqual(templateReferences('${A}-${B:-x}-${C:?y}-$D-${E:+${F}}'), [
    { name: 'A', hasFallback: false },
    { name: 'B', hasFallback: true },
    { name: 'C', hasFallback: false },
    { name: 'D', hasFallback: false },
    { name: 'E', hasFallback: true },
    { name: 'F', hasFallback: false },
  ]);
});

const APP = `
services:
  api:
    image: "api:\${TAG:-1.0}"
    command: ["--token", "\${API_TOKEN}", "--name=\${NAME}"]
    ports: ["\${PORT}:8080"]
    environment:
      DEBUG: "\${DEBUG}"
      EXTRA: "\${EXTRA}"
      LITERAL: "$$PATH"
    volumes: ["\${DATA}:/data"]
    healthcheck:
      test: ["CMD-SHELL", "wget -qO- localhost:8080 || exit 1"]
      interval: "\${INTERVAL}"
      retries: "\${RETRIES}"
x-skiff:
  config:
    TAG: { type: string }
    API_TOKEN: { type: string, required: true, secret: true }
    NAME: { type: string, default: "edge" }
    PORT: { type: port, default: 8080 }
    DEBUG: { type: boolean, default: false }
    EXTRA: { type: string }
    DATA: { type: string, default: /srv/data }
    INTERVAL: { type: string, default: 30s }
    RETRIES: { type: number, default: 5 }
`;

test('normalizeCompose fills values in every string, then converts the typed fields', () => {
  const parsed = parseCompose(APP);
  const project = normalizeCompose(parsed.raw, resolveValues(parsed.config, { API_TOKEN: 't0ken', PORT: 9000, DEBUG: true }));
  const api = project.services['api'];
  assert.ok(api !== undefined);
  assert.equal(api.image, 'api:1.0');
  assert.deepEqual(api.command, ['--token', 't0ken', '--name=edge']);
  assert.deepEqual(api.ports, [{ hostIp: '', hostPort: 9000, containerPort: 8080, protocol: 'tcp' }]);
  assert.deepEqual(api.environment, { DEBUG: 'true', EXTRA: '', LITERAL: '$PATH' });
  assert.deepEqual(api.volumes, [{ type: 'bind', source: '/srv/data', target: '/data', readOnly: false }]);
  assert.deepEqual(api.healthcheck, { test: ['CMD-SHELL', 'wget -qO- localhost:8080 || exit 1'], intervalNs: 30e9, retries: 5 });
});

test('a value that breaks syntax after interpolation is an error naming the path, with secrets redacted', () => {
  const parsed = parseCompose(APP);
  const bad = resolveValues(parsed.config, { API_TOKEN: 't0ken', INTERVAL: 'soon' });
  assert.throws(
    () => normalizeCompose(parsed.raw, bad),
    (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID') && /^compose: services\.api\.healthcheck\.interval is not a duration.*settings filled in\)$/.test(e.message),
  );
  const leaky = parseCompose('services:\n  a:\n    image: x\n    volumes: ["${S}:/x:${S}"]\nx-skiff:\n  config:\n    S: { type: string, secret: true }\n');
  assert.throws(
    () => normalizeCompose(leaky.raw, resolveValues(leaky.config, { S: 'hunter2' })),
    (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID') && e.message.includes('mode "***"') && !e.message.includes('hunter2'),
  );
});

test('normalizeCompose refuses names x-skiff.config does not declare, and validates the document it is given', () => {
  assert.throws(
    () => normalizeCompose({ services: { a: { image: '${NOPE}' } } }, {}),
    (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID') && e.message === 'compose: services.a.image uses ${NOPE}, which is not a setting in x-skiff.config',
  );
  assert.throws(() => normalizeCompose({ services: { a: { image: 'x', privileged: true } } }, {}), (e: unknown) => isSkiffError(e, 'COMPOSE_UNSUPPORTED_KEY'));
  assert.throws(() => normalizeCompose('not a document', {}), (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID'));
  const dangling = { services: { a: { image: 'x', volumes: ['${V}:/data'] } }, 'x-skiff': { config: { V: { type: 'string' } } } };
  assert.throws(
    () => normalizeCompose(dangling, { V: 'cache' }),
    (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID') && /services\.a\.volumes\[0\] uses volume "cache", which is not declared/.test(e.message),
  );
});

test('${NAME:?message} reports the setting when it has no value', () => {
  const parsed = parseCompose('services:\n  a:\n    image: "x:${TAG:?pick a TAG}"\nx-skiff:\n  config:\n    TAG: { type: string }\n');
  assert.throws(() => normalizeCompose(parsed.raw, {}), /^SkiffError: compose: services\.a\.image needs setting TAG: pick a TAG$/);
  assert.equal(normalizeCompose(parsed.raw, { TAG: '2' }).services['a']?.image, 'x:2');
});
