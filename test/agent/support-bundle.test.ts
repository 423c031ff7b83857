// Support bundles with the real Docker Engine, a real hub and the real CLI: a bundle of a running app holds the files its
// spec.json lists, with planted secrets redacted; with the engine unreachable the host collectors still run and the spec
// says which failed and why; redaction re-runs on an existing bundle; upload (instance or vendor user, size limit → 413),
// and a vendor's request that the connected agent answers and the hub clears.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSupportBundle, install, redactExistingBundle, runConnected, uploadOwnSupportBundle } from '../../src/agent/index.ts';
import { readSupportBundle, writeSupportBundle } from '../../src/agent/support/bundle-file.ts';
import { uploadSupportBundle, type HubClient } from '../../src/hub-client/index.ts';
import { FAST, makeBundle, runCli } from '../helpers/agent.ts';
import { startAgentHub, type AgentHub } from '../helpers/agent-hub.ts';
import type { ComposeDoc, Vendor } from '../helpers/vendor.ts';
import type { Hub } from '../hub/hub-fixture.ts';

const PLANTED = 'planted-Secret-b41d07';
const BEARER = 'zyxwvutsrqponmlkjihg9876';

const leaky = (doc: ComposeDoc): void => {
  doc.services.web!.command = ['sh', '-c', `echo "boot token=$$API_TOKEN"; echo "Authorization: Bearer ${BEARER}"; exec httpd -f -p 8080 -h /www`];
};

interface BundleList {
  bundles: { id: string; digest: string; size: number; uploadedBy: string }[];
  requestedAt: string | null;
}

describe('support bundle', () => {
  let vendor: Vendor;
  let hub: Hub;
  let url: string;
  let admin: HubClient;
  let work: string;
  let state: string;
  let instanceId: string;
  const logs: string[] = [];
  let site: AgentHub;
  const file = (name: string): string => path.join(work, name);
  const list = (): Promise<BundleList> => admin.get<BundleList>(`/instances/${instanceId}/support-bundles`);

  before(async () => {
    site = await startAgentHub({ prefix: 'sksb', workPrefix: 'skiff-support', connected: true });
    ({ vendor, hub, url, admin, work, state } = site);
    await site.release('1.0.0', { edit: leaky });
    // Nothing promoted: the connected agent only enrolls and answers requests; the app is installed from a bundle.
    await site.customer('help-me');
    instanceId = await site.enrollConnected('help-me', (l) => logs.push(l));
    await writeFile(file('values.yaml'), `API_TOKEN: ${PLANTED}\n`);
    await install({ stateDir: state, bundle: (await makeBundle(vendor.store, vendor.app, '1.0.0', file('1.0.0.skiff'))).file, valuesFile: file('values.yaml'), ...FAST });
  });
  after(async () => {
    await site?.close();
  });

  it('of a running app: the files its spec lists, secrets redacted', async () => {
    const spec = await createSupportBundle(state, file('b1.tar.gz'));
    const { spec: inside, files } = await readSupportBundle(file('b1.tar.gz'));
    assert.deepEqual(inside, JSON.parse(JSON.stringify(spec)));
    assert.deepEqual(spec.collectors.filter((c) => c.error !== undefined), [], 'every collector ran');
    assert.deepEqual(spec.collectors.flatMap((c) => c.files).sort(), files.map((f) => f.path).sort(), 'spec.json lists exactly the files inside');
    const names = files.map((f) => f.path);
    for (const want of ['host/os-release', 'host/facts.json', 'engine/version.json', 'agent/state.json', 'agent/history.json', 'agent/journal.json'])
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    const web = files.find((f) => /^logs\/.*web.*\.log$/.test(f.path));
    assert.match(web?.text ?? '', /boot token=\[REDACTED\]/);
    assert.ok(files.some((f) => /^containers\/.*web.*\.json$/.test(f.path) && f.text.includes('API_TOKEN=[REDACTED]')), 'docker inspect, with the secret env value hidden');
    const all = files.map((f) => f.text).join('\n');
    assert.ok(!all.includes(PLANTED), 'the secret setting value appears nowhere');
    assert.ok(!all.includes(BEARER), 'the bearer token appears nowhere');
    const facts = JSON.parse(files.find((f) => f.path === 'host/facts.json')!.text) as { kernel: string; memory: { totalBytes: number }; disk: { freeBytes: number } };
    assert.ok(facts.kernel.length > 0 && facts.memory.totalBytes > 0 && facts.disk.freeBytes > 0);
    assert.match(files.find((f) => f.path === 'engine/version.json')!.text, /"serverVersion"/);
  });

  it('with the engine unreachable, host facts are still collected and the spec says what failed and why', async () => {
    const r = await runCli(['agent', 'support-bundle', '--state', state, '-o', file('dead.tar.gz')], { DOCKER_HOST: `unix://${file('no-engine.sock')}` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /collector engine failed: the Docker Engine did not answer/);
    const { spec, files } = await readSupportBundle(file('dead.tar.gz'));
    const byName = new Map(spec.collectors.map((c) => [c.name, c]));
    assert.equal(byName.get('host')?.error, undefined);
    assert.equal(byName.get('agent')?.error, undefined);
    for (const n of ['engine', 'containers', 'logs']) assert.match(byName.get(n)?.error ?? '', /Docker Engine did not answer/, n);
    assert.ok(files.some((f) => f.path === 'host/facts.json'));
    assert.ok(!files.map((f) => f.text).join('\n').includes(PLANTED), 'agent/state.json still redacted');
  });

  it('redaction re-runs on an existing bundle', async () => {
    const spec = { schema: 'skiff-support-bundle/1' as const, createdAt: new Date().toISOString(), app: null, instance: null, agentVersion: 'x', collectors: [{ name: 'logs', description: 'test', files: ['logs/a.log'] }], redaction: [] };
    await writeSupportBundle(file('old.tar.gz'), spec, [{ path: 'logs/a.log', text: 'db password found later: hunter2-later\n' }], []);
    assert.match((await readSupportBundle(file('old.tar.gz'))).files[0]?.text ?? '', /hunter2-later/);
    const again = await redactExistingBundle(file('old.tar.gz'), file('new.tar.gz'), { secrets: ['hunter2-later'] });
    const { files } = await readSupportBundle(file('new.tar.gz'));
    assert.equal(files[0]?.text, 'db password found later: [REDACTED]\n');
    assert.equal(again.redaction.length, 1);
    const cli = await runCli(['support-bundle', 'redact', file('b1.tar.gz'), '-o', file('b1-again.tar.gz'), '--state', state]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await readSupportBundle(file('b1-again.tar.gz'))).spec.redaction.length, 2);
    const bad = await runCli(['support-bundle', 'redact', file('values.yaml'), '-o', file('x.tar.gz')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^skiff: .* is not a support bundle/);
  });

  it('uploads as the instance or a vendor user; too large is 413; vendors list and download', async () => {
    const mine = await uploadOwnSupportBundle(state, file('b1.tar.gz'));
    const byHand = await uploadSupportBundle({ hub: url, token: hub.admin.token }, instanceId, file('dead.tar.gz'));
    const got = await list();
    assert.deepEqual(got.bundles.map((b) => b.id).sort(), [mine.id, byHand.id].sort());
    assert.ok(got.bundles.some((b) => b.uploadedBy.startsWith('instance:')) && got.bundles.some((b) => b.uploadedBy === `user:${hub.admin.username}`));
    const res = await fetch(`${url}/api/v1/instances/${instanceId}/support-bundles/${mine.id}`, { headers: { authorization: `Bearer ${hub.admin.token}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), await readFile(file('b1.tar.gz')));
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/api/v1/instances/${instanceId}/support-bundles`, { method: 'POST', headers: { authorization: `Bearer ${hub.admin.token}`, 'content-type': 'application/gzip', 'content-length': String(2 ** 30) } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 413);
    assert.equal((await list()).bundles.length, 2, 'nothing stored');
  });

  it('a vendor asks a connected agent for one; it collects and uploads; the hub clears the request', async () => {
    const before = (await list()).bundles.length;
    await admin.post(`/instances/${instanceId}/support-bundle-request`, {});
    assert.ok((await list()).requestedAt);
    await runConnected({ stateDir: state, once: true, log: (l) => logs.push(l), ...FAST });
    assert.ok(logs.some((l) => /support bundle sent to the hub/.test(l)), logs.join('\n'));
    const after1 = await list();
    assert.equal(after1.bundles.length, before + 1);
    assert.equal(after1.requestedAt, null, 'cleared');
    await runConnected({ stateDir: state, once: true, log: (l) => logs.push(l), ...FAST });
    assert.equal((await list()).bundles.length, before + 1, 'not sent again once cleared');
  });
});
