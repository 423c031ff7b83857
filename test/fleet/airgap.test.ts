// The air-gap report loop with a real hub, the real CLI and the real Docker Engine: an instance enrolls offline (request
// file → hub answer → completed), installs from bundles, writes signed reports that the hub imports (version, health,
// history, last seen); replayed, altered and foreign reports are refused with one line; the same report twice changes
// nothing (audit log unchanged); a lost report does not block later ones: the gap shows, the re-export fills it.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { install, writeAirgapReport } from '../../src/agent/index.ts';
import { signReport, type ReportEnvelope } from '../../src/fleet/index.ts';
import { importReport as importReportApi, type HubClient } from '../../src/hub-client/index.ts';
import { errorMessage } from '../../src/util/errors.ts';
import { FAST, makeBundle, runCli, type CliResult } from '../helpers/agent.ts';
import { startAgentHub, type AgentHub } from '../helpers/agent-hub.ts';
import type { ComposeDoc, Vendor } from '../helpers/vendor.ts';
import type { Hub } from '../hub/hub-fixture.ts';

const PLANTED = 'planted-Secret-7f3a9c';
const BEARER = 'abcdefghijklmnopqrstuvwx0123';

/** web prints the secret setting and a bearer token to its log at start, as a careless app would. */
const leaky = (doc: ComposeDoc): void => {
  doc.services.web!.command = ['sh', '-c', `echo "boot token=$$API_TOKEN"; echo "Authorization: Bearer ${BEARER}"; exec httpd -f -p 8080 -h /www`];
};

interface InstanceView {
  currentVersion: string | null;
  health: string | null;
  lastSeenAt: string | null;
  history: { at: string; kind: string; detail: Record<string, unknown> }[];
}

describe('air-gapped instance: offline enrollment and the report loop', () => {
  let vendor: Vendor;
  let hub: Hub;
  let url: string;
  let admin: HubClient;
  let work: string;
  let state: string;
  let instanceId: string;
  let site: AgentHub;
  const hubFlags = (): string[] => ['--hub', url, '--token', hub.admin.token];
  const file = (name: string): string => path.join(work, name);
  const ok = (r: CliResult): CliResult => {
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return r;
  };
  const refusedWith = (r: CliResult, pattern: RegExp): void => {
    assert.notEqual(r.code, 0, r.stdout);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  };
  const view = (): Promise<InstanceView> => admin.get<InstanceView>(`/instances/${instanceId}`);
  const auditCount = async (): Promise<number> => (await hub.db.listAudit()).length;
  const report = async (name: string): Promise<string> => (await writeAirgapReport(state, file(name))).file;
  const importReport = (f: string): Promise<CliResult> => runCli(['hub', 'import-report', f, ...hubFlags()]);
  /** The same import in process (each CLI start costs seconds on a loaded machine): the hub's answer, or its one-line refusal. */
  const importIn = async (f: string): Promise<{ ok: boolean; line: string }> =>
    importReportApi({ hub: url, token: hub.admin.token }, f).then(
      (r) => ({ ok: true, line: r.message }),
      (e: unknown) => ({ ok: false, line: errorMessage(e) }),
    );
  const refusedIn = async (f: string, pattern: RegExp): Promise<void> => {
    const r = await importIn(f);
    assert.equal(r.ok, false, r.line);
    assert.doesNotMatch(r.line, /\n/);
    assert.match(r.line, pattern);
  };
  const importedIn = async (f: string): Promise<void> => {
    const r = await importIn(f);
    assert.equal(r.ok, true, r.line);
  };

  before(async () => {
    site = await startAgentHub({ prefix: 'skag', workPrefix: 'skiff-airgap', connected: false });
    ({ vendor, hub, url, admin, work, state } = site);
    for (const v of ['1.0.0', '1.1.0']) await site.release(v, { edit: leaky });
    await site.customer('remote-site', { airgapped: true });
    await writeFile(file('values.yaml'), `API_TOKEN: ${PLANTED}\n`);
  });
  after(async () => {
    await site?.close();
  });

  it('enrolls offline: request file, the hub answers (using the token), the agent completes', async () => {
    const { token } = await admin.post<{ token: string }>('/customers/remote-site/enroll-tokens', { app: vendor.app, uses: 1 });
    ok(await runCli(['agent', 'enroll', '--offline', '--enroll-token', token, '--state', state, '-o', file('request.json'), '--name', 'ship-7']));
    ok(await runCli(['hub', 'answer-enroll', file('request.json'), '-o', file('answer.json'), ...hubFlags()]));
    refusedWith(await runCli(['hub', 'answer-enroll', file('request.json'), '-o', file('again.json'), ...hubFlags()]), /enrollment token is unknown, used up or expired/);
    const done = ok(await runCli(['agent', 'enroll', '--offline', '--answer', file('answer.json'), '--state', state]));
    assert.match(done.stdout, /enrolled as/);
    instanceId = (JSON.parse(await readFile(path.join(state, 'connected', 'identity.json'), 'utf8')) as { instanceId: string }).instanceId;
    const [inst] = (await admin.get<{ instances: { id: string; name: string; currentVersion: string | null }[] }>('/instances')).instances;
    assert.equal(inst?.id, instanceId);
    assert.equal(inst?.name, 'ship-7');
    assert.equal(inst?.currentVersion, null);
    refusedWith(await runCli(['agent', 'enroll', '--offline', '--answer', file('answer.json'), '--state', state]), /already enrolled/);
  });

  it('a report carries version, health, history and redacted logs; the hub shows them', async () => {
    await install({ stateDir: state, bundle: (await makeBundle(vendor.store, vendor.app, '1.0.0', file('1.0.0.skiff'))).file, valuesFile: file('values.yaml'), ...FAST });
    const out = ok(await runCli(['agent', 'report', '--state', state, '-o', file('r1.skiffr')]));
    assert.match(out.stdout, /wrote report 1 to/);
    const r1 = file('r1.skiffr');
    const text = await readFile(r1, 'utf8');
    assert.ok(!text.includes(PLANTED), 'the secret setting value is redacted');
    assert.ok(!text.includes(BEARER), 'the bearer token is redacted');
    assert.match(text, /boot token=\[REDACTED\]/);
    const before = await auditCount();
    const imported = ok(await importReport(r1));
    assert.match(imported.stdout, /report 1 of instance .* imported \(1\.0\.0, healthy\)/);
    const v = await view();
    assert.equal(v.currentVersion, '1.0.0');
    assert.equal(v.health, 'healthy');
    const signed = (JSON.parse(text) as ReportEnvelope).signed;
    assert.equal(v.lastSeenAt, signed.createdAt, 'last seen is when the site wrote the report');
    assert.ok(v.history.some((h) => h.kind === 'version' && h.detail.to === '1.0.0'));
    assert.ok(v.history.some((h) => h.kind === 'agent' && h.detail.event === 'installed'));
    assert.equal(await auditCount(), before + 1);
    // Its logs are searchable at the hub as a connected instance's are, still redacted.
    const { lines } = await admin.get<{ lines: { message: string; source: string }[] }>(`/logs?instance=${instanceId}&limit=1000`);
    assert.ok(lines.some((l) => l.source === 'report' && /boot token=\[REDACTED\]/.test(l.message)), JSON.stringify(lines.slice(0, 5)));
    assert.ok(!JSON.stringify(lines).includes(PLANTED));
  });

  it('importing the same report twice changes nothing', async () => {
    const before = { audit: await auditCount(), view: await view(), generation: await hub.db.generation() };
    const again = await importIn(file('r1.skiffr'));
    assert.equal(again.ok, true);
    assert.match(again.line, /already imported: nothing changed/);
    assert.equal(await auditCount(), before.audit, 'no audit entry');
    assert.deepEqual(await view(), before.view);
    assert.equal(await hub.db.generation(), before.generation);
  });

  it('a lost report does not block later ones: the gap is shown, the lost one replayed is refused, the re-export fills it', async () => {
    await install({ stateDir: state, bundle: (await makeBundle(vendor.store, vendor.app, '1.1.0', file('1.1.0.skiff'), '1.0.0')).file, ...FAST });
    const r2 = await report('r2.skiffr'); // lost on the way: it alone carries the upgrade to 1.1.0
    const r3 = await report('r3.skiffr');
    const audit = await auditCount();
    const imported = ok(await importReport(r3));
    assert.match(imported.stdout, /^report 3 of instance .* imported \(1\.1\.0, healthy\); report 2 never arrived: on the site, skiff agent report --since 1 re-exports what it carried$/m);
    const agentEvents = (v: InstanceView, pick: (d: Record<string, unknown>) => boolean) => v.history.filter((h) => h.kind === 'agent' && pick(h.detail));
    const upgraded = (d: Record<string, unknown>) => d.to === '1.1.0';
    const installed = (d: Record<string, unknown>) => d.event === 'installed';
    let v = await view();
    assert.equal(v.currentVersion, '1.1.0');
    assert.ok(v.history.some((h) => h.kind === 'report-gap' && h.detail.from === 2 && h.detail.to === 2), JSON.stringify(v.history));
    assert.equal(agentEvents(v, upgraded).length, 0, 'what only the lost report carried is not at the hub yet');
    await refusedIn(r2, /report 2 .* is a replay: report 3 is already imported, refused/);

    const resent = ok(await runCli(['agent', 'report', '--state', state, '--since', '1', '-o', file('r4.skiffr')]));
    assert.match(resent.stdout, /wrote report 4 to/);
    assert.equal((JSON.parse(await readFile(file('r4.skiffr'), 'utf8')) as ReportEnvelope).signed.resendsAfter, 1);
    await importedIn(file('r4.skiffr'));
    v = await view();
    assert.equal(agentEvents(v, upgraded).length, 1, "the lost report's history arrives with the re-export");
    assert.ok(v.history.some((h) => h.kind === 'report-resend' && h.detail.after === 1));
    // A re-export from enrollment repeats every entry the hub has: none is added twice.
    await importedIn((await writeAirgapReport(state, file('r5.skiffr'), { since: 0 })).file);
    v = await view();
    assert.equal(agentEvents(v, upgraded).length, 1);
    assert.equal(agentEvents(v, installed).length, 1);
    await assert.rejects(writeAirgapReport(state, file('r-bad.skiffr'), { since: 9 }), /--since 9: this site has written reports up to 5 only/);
    refusedWith(await runCli(['agent', 'report', '--state', state, '--since', 'last', '-o', file('r-bad.skiffr')]), /--since "last" is not a report number/);
    assert.equal(await auditCount(), audit + 3, 'r3, r4 and r5 were recorded');
  });

  it('refuses replayed, altered and foreign reports, each with one line', async () => {
    const r6 = await report('r6.skiffr');
    const env = JSON.parse(await readFile(r6, 'utf8')) as ReportEnvelope;
    const audit = await auditCount();
    await writeFile(file('altered.skiffr'), JSON.stringify({ ...env, signed: { ...env.signed, status: { ...env.signed.status, health: 'unhealthy' } } }));
    await refusedIn(file('altered.skiffr'), /signature does not match its content: it was altered/);
    const stranger = generateKeyPairSync('ed25519').privateKey;
    await writeFile(file('other-key.skiffr'), JSON.stringify(signReport(env.signed, stranger)));
    await refusedIn(file('other-key.skiffr'), /not signed by instance .*'s key .*foreign report/);
    await writeFile(file('unknown.skiffr'), JSON.stringify(signReport({ ...env.signed, instance: '00000000-0000-4000-8000-000000000000' }, stranger)));
    await refusedIn(file('unknown.skiffr'), /which this hub does not know: a foreign report/);
    await writeFile(file('garbage.skiffr'), 'not a report');
    await refusedIn(file('garbage.skiffr'), /is not a Skiff report/);
    assert.equal(await auditCount(), audit, 'nothing was recorded');
    await importedIn(r6);
    assert.equal((await view()).health, 'healthy');
    await refusedIn(file('r4.skiffr'), /report 4 .* is a replay: report 6 is already imported/);
  });
});
