// x-skiff.logs: log files inside volumes, parsed into the project; a bad entry, an undeclared volume or a path no
// service mounts the volume at are named with their line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dirInVolume, matchesPattern, normalizeCompose, parseCompose } from '../../src/compose/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const base = (logs: string): string => `services:
  web:
    image: web:1
    volumes: ["data:/var/log/app"]
volumes:
  data:
x-skiff:
  logs: ${logs}
`;

test('log file entries reach the project, relative to where the volume is mounted', () => {
  const project = normalizeCompose(parseCompose(base('["data:/var/log/app/*.log", "data:/var/log/app/audit/audit-?.txt"]')).raw, {});
  assert.deepEqual(project.logs, [{ volume: 'data', dir: '/var/log/app', pattern: '*.log' }, { volume: 'data', dir: '/var/log/app/audit', pattern: 'audit-?.txt' }]);
  assert.equal(dirInVolume({ volume: 'data', dir: '/var/log/app/audit', pattern: '*' }, '/var/log/app'), 'audit');
  assert.equal(dirInVolume({ volume: 'data', dir: '/var/log/application', pattern: '*' }, '/var/log/app'), undefined);
  assert.ok(matchesPattern('*.log', 'app.log') && !matchesPattern('*.log', 'app.log.1') && matchesPattern('audit-?.txt', 'audit-1.txt'));
});

test('a bad entry, an undeclared volume or a directory the volume is not mounted at are named with their line', () => {
  const rejects = (logs: string, pattern: RegExp): void =>
    assert.throws(() => parseCompose(base(logs)), (e: unknown) => isSkiffError(e) && pattern.test(e.message), logs);
  rejects('["/var/log/app/*.log"]', /line 8: x-skiff\.logs\[0\] .*is not <volume>:<absolute path>\/<file pattern>/);
  rejects('["data:var/log/*.log"]', /is not <volume>:<absolute path>/);
  rejects('["data:/var/*/app.log"]', /\* and \? only in the file name/);
  rejects('["cache:/var/log/app/*.log"]', /line 8: x-skiff\.logs\[0\] names volume "cache", which is not declared under top-level volumes/);
  rejects('["data:/srv/logs/*.log"]', /names \/srv\/logs, but no service mounts volume "data" there or above it/);
});

test("an entry using a setting names the directory the site's value gives; a value that breaks the entry is named", () => {
  const doc = (logs: string): unknown => parseCompose(`${base(logs)}  config:\n    LOG_DIR: { type: string, default: audit }\n`).raw;
  const entry = '["data:/var/log/app/${LOG_DIR}/*.log"]';
  assert.deepEqual(normalizeCompose(doc(entry), { LOG_DIR: 'audit-trail' }).logs, [{ volume: 'data', dir: '/var/log/app/audit-trail', pattern: '*.log' }]);
  assert.throws(() => normalizeCompose(doc(entry), { LOG_DIR: '../../../etc' }), (e: unknown) => isSkiffError(e, 'COMPOSE_INVALID') && /x-skiff\.logs\[0\] .*is not <volume>:<absolute path>.*with this site's settings filled in/.test(e.message));
  assert.throws(() => normalizeCompose(doc('["data:/var/log/app/${NOT_DECLARED}/*.log"]'), {}), (e: unknown) => isSkiffError(e) && /x-skiff\.logs\[0\] uses \$\{NOT_DECLARED\}, which is not a setting/.test(e.message));
});
