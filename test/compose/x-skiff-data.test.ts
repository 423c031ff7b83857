// x-skiff.volumes (snapshot marks) and x-skiff.hooks: parsed into the project, and every mistake named with its line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeCompose, parseCompose } from '../../src/compose/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const base = (ext: string): string => `services:
  db:
    image: db:1
    volumes: ["data:/var/lib/db"]
volumes:
  data:
x-skiff:
${ext}`;

test('snapshot marks and hooks reach the project: command words, timeout in nanoseconds', () => {
  const parsed = parseCompose(base(`  volumes:
    data: { snapshot: true }
  hooks:
    pre-upgrade: { service: db, command: "migrate --to latest", timeout: 90s }
    post-upgrade: { service: db, command: [check] }
`));
  const project = normalizeCompose(parsed.raw, {});
  assert.deepEqual(project.snapshot, { data: true });
  assert.deepEqual(project.hooks, [
    { name: 'pre-upgrade', service: 'db', command: ['migrate', '--to', 'latest'], timeoutNs: 90e9 },
    { name: 'post-upgrade', service: 'db', command: ['check'] },
  ]);
});

const rejects = (text: string, pattern: RegExp): void =>
  assert.throws(() => parseCompose(text), (e: unknown) => isSkiffError(e) && pattern.test(e.message));

test('a snapshot mark on an undeclared volume, a hook of an unknown service, a bad timeout or an unknown hook are named with their line', () => {
  rejects(base(`  volumes:\n    logs: { snapshot: true }\n`), /line 9: x-skiff\.volumes\.logs names volume "logs", which is not declared under top-level volumes/);
  rejects(base(`  hooks:\n    pre-upgrade: { service: web, command: migrate }\n`), /line 9: .*pre-upgrade\.service names service "web", which this file does not define/);
  rejects(base(`  hooks:\n    pre-upgrade: { service: db, command: migrate, timeout: soon }\n`), /line 9: x-skiff.hooks.pre-upgrade.timeout is not a duration/);
  rejects(base(`  hooks:\n    pre-install: { service: db, command: migrate }\n`), /pre-install.*(pre-upgrade, post-upgrade|supported)/);
  rejects(base(`  volumes:\n    data: { snapshot: yes please }\n`), /snapshot/);
});
