// Site values against x-skiff.config: required, types, unknown names, defaults, values.yaml, secrets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseValuesYaml, resolveValues, secretValues } from '../../src/compose/index.ts';
import type { ConfigSetting } from '../../src/compose/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const settings: ConfigSetting[] = [
  { name: 'HOSTNAME', type: 'string', required: true, secret: false, description: 'public host name' },
  { name: 'PORT', type: 'port', default: 8443, required: false, secret: false },
  { name: 'WORKERS', type: 'number', default: 2, required: false, secret: false },
  { name: 'TLS', type: 'boolean', default: true, required: false, secret: false },
  { name: 'DB_PASSWORD', type: 'string', required: true, secret: true },
  { name: 'API_KEY', type: 'string', required: false, secret: true },
  { name: 'NOTE', type: 'string', required: false, secret: false },
];

function configError(values: Record<string, unknown>, message: string | RegExp): void {
  assert.throws(
    () => resolveValues(settings, values),
    (e: unknown) => {
      assert.ok(isSkiffError(e, 'CONFIG_INVALID'), String(e));
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

test('defaults are applied and every value comes back as a string', () => {
  assert.deepEqual(resolveValues(settings, { HOSTNAME: 'nms.example.com', DB_PASSWORD: 'pw' }), {
    HOSTNAME: 'nms.example.com',
    PORT: '8443',
    WORKERS: '2',
    TLS: 'true',
    DB_PASSWORD: 'pw',
  });
  assert.deepEqual(resolveValues(settings, { HOSTNAME: 'h', DB_PASSWORD: 'pw', PORT: '443', WORKERS: 2.5, TLS: 'false', NOTE: '' }), {
    HOSTNAME: 'h',
    PORT: '443',
    WORKERS: '2.5',
    TLS: 'false',
    DB_PASSWORD: 'pw',
    NOTE: '',
  });
  assert.deepEqual(resolveValues([], {}), {});
});

test('a missing required setting is named, with its description', () => {
  configError({ DB_PASSWORD: 'pw' }, 'invalid values: setting HOSTNAME is required (public host name): set it in the values');
  configError({ HOSTNAME: 'h', DB_PASSWORD: null }, 'invalid values: setting DB_PASSWORD is required: set it in the values');
});

test('wrong types are named per setting, all in one line, without echoing values', () => {
  configError({ HOSTNAME: 'h', DB_PASSWORD: 12345, PORT: 70000, WORKERS: 'many', TLS: 'yes' }, 'invalid values: setting PORT must be a port (an integer 1-65535); setting WORKERS must be a number; setting TLS must be true or false; setting DB_PASSWORD must be a string (quote it in YAML)');
  configError({ HOSTNAME: 'h', DB_PASSWORD: 'pw', PORT: 80.5 }, /setting PORT must be a port/);
  configError({ HOSTNAME: 'h', DB_PASSWORD: 'pw', PORT: 0 }, /setting PORT must be a port/);
  configError({ HOSTNAME: ['a'], DB_PASSWORD: 'pw' }, 'invalid values: setting HOSTNAME must be a string (quote it in YAML)');
});

test('an unknown name is an error listing the known settings', () => {
  configError({ HOSTNAME: 'h', DB_PASSWORD: 'pw', HOST_NAME: 'x' }, 'invalid values: HOST_NAME is not a setting of this release (known: HOSTNAME, PORT, WORKERS, TLS, DB_PASSWORD, API_KEY, NOTE)');
  assert.throws(() => resolveValues([], { A: 1 }), /A is not a setting of this release \(this release declares none\)/);
});

test('parseValuesYaml reads a flat mapping and names bad lines', () => {
  assert.deepEqual(parseValuesYaml('HOSTNAME: nms.example.com\nPORT: 8443\nTLS: false\nNOTE: "007"\n'), {
    HOSTNAME: 'nms.example.com',
    PORT: 8443,
    TLS: false,
    NOTE: '007',
  });
  assert.deepEqual(parseValuesYaml(''), {});
  assert.deepEqual(parseValuesYaml('# only a comment\n'), {});
  assert.throws(() => parseValuesYaml('A: 1\nB:\n  nested: 2\n', 'site.yaml'), (e: unknown) => isSkiffError(e, 'CONFIG_INVALID') && e.message === 'site.yaml line 2: B must be a single value, not a list or mapping');
  assert.throws(() => parseValuesYaml('- a\n- b\n'), (e: unknown) => isSkiffError(e, 'CONFIG_INVALID') && e.message === 'values.yaml line 1: must be a mapping of setting names to values');
  assert.throws(() => parseValuesYaml('A: 1\nA: 2\n'), (e: unknown) => isSkiffError(e, 'CONFIG_INVALID') && /^values\.yaml line 2: Map keys must be unique/.test(e.message));
  assert.throws(() => parseValuesYaml('A: "unterminated\n'), (e: unknown) => isSkiffError(e, 'CONFIG_INVALID') && /^values\.yaml line \d+: .*fix the YAML syntax$/.test(e.message));
});

test('values.yaml straight into resolveValues', () => {
  const values = parseValuesYaml('HOSTNAME: h\nDB_PASSWORD: "s3cr3t"\nAPI_KEY: "k-123"\n');
  assert.deepEqual(secretValues(settings, resolveValues(settings, values)), ['s3cr3t', 'k-123']);
});

test('secretValues lists the values of secret settings, longest first, without empties or duplicates', () => {
  const resolved = { HOSTNAME: 'h', DB_PASSWORD: 'pw', API_KEY: 'longer-key', NOTE: 'pw' };
  assert.deepEqual(secretValues(settings, resolved), ['longer-key', 'pw']);
  assert.deepEqual(secretValues(settings, { DB_PASSWORD: 'same', API_KEY: 'same' }), ['same']);
  assert.deepEqual(secretValues(settings, { DB_PASSWORD: '' }), []);
  assert.deepEqual(secretValues([], { DB_PASSWORD: 'pw' }), []);
});
