// Which volumes an upgrade copies first: those the release marks, by default those a changed service or the
// pre-upgrade hook writes, never those it opts out; and which services stop for the copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSnapshots, writersOf } from '../../src/agent/snapshots.ts';
import { normalizeCompose, parseCompose, type ComposeProject } from '../../src/compose/index.ts';

function project(ext: string, dbImage = 'db:1', webImage = 'web:1'): ComposeProject {
  const text = `services:
  db:
    image: ${dbImage}
    volumes: ["data:/var/lib/db", "logs:/logs"]
  web:
    image: ${webImage}
    volumes: ["data:/data:ro", "cache:/cache"]
volumes:
  data:
  logs:
  cache:
${ext}`;
  return normalizeCompose(parseCompose(text).raw, {});
}

const names = (plan: { name: string; marked: boolean }[]): string[] => plan.map((v) => `${v.name}${v.marked ? '!' : ''}`);

test('by default the volumes a changed service writes; a read-only mount is not a write', () => {
  assert.deepEqual(names(planSnapshots(project(''), project('', 'db:2'), new Set(['db']))), ['data', 'logs']);
  assert.deepEqual(names(planSnapshots(project(''), project('', 'db:1', 'web:2'), new Set(['web']))), ['cache']);
  assert.deepEqual(names(planSnapshots(project(''), project(''), new Set())), []);
});

test('marked volumes always, opted-out ones never, and the volumes of the pre-upgrade hook’s service', () => {
  const marks = 'x-skiff:\n  volumes:\n    data: { snapshot: true }\n    logs: { snapshot: false }\n';
  assert.deepEqual(names(planSnapshots(project(''), project(marks), new Set())), ['data!']);
  assert.deepEqual(names(planSnapshots(project(''), project(marks, 'db:2'), new Set(['db']))), ['data!']);
  const hook = 'x-skiff:\n  hooks:\n    pre-upgrade: { service: db, command: migrate }\n';
  assert.deepEqual(names(planSnapshots(project(''), project(hook), new Set())), ['data', 'logs']);
});

test('the services that stop for a copy are the writers of its volumes', () => {
  assert.deepEqual(writersOf(project(''), ['data']), ['db']);
  assert.deepEqual(writersOf(project(''), ['cache']), ['web']);
  assert.deepEqual(writersOf(project(''), []), []);
});
