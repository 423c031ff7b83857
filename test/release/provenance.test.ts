// Signed build provenance: release create --provenance records an in-toto statement (SLSA v1 predicate) in a DSSE
// envelope signed with the release key; release show verifies and prints it; an edited or copied one is refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { provenanceOf } from '../../src/cli/provenance.ts';
import { DSSE_PAYLOAD_TYPE, IN_TOTO_STATEMENT, SLSA_PROVENANCE, pae } from '../../src/release/index.ts';
import { sha256 } from '../../src/oci/index.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));
let vendor: Vendor;
let compose: string;

function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 180_000, env: { ...process.env, SKIFF_DEBUG: '', GITHUB_SHA: '', GIT_COMMIT: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
const provenanceFile = (v: string) => path.join(vendor.storeDir, 'releases', vendor.app, v, 'provenance.json');

before(async () => {
  vendor = await makeVendor('skprov');
  compose = await vendor.composeFor('1.0.0');
  const r = await skiff('release', 'create', '--compose', compose, '--app', vendor.app, '--version', '1.0.0', '--trust', vendor.trustDir, '--store', vendor.storeDir,
    '--provenance', '--builder-id', 'https://ci.example.com/job/netmon', '--ci-run', 'https://ci.example.com/job/netmon/42/', '--source-repo', 'https://git.example.com/netmon.git', '--source-commit', 'a'.repeat(40));
  assert.equal(r.code, 0, r.stderr);
  const r2 = await skiff('release', 'create', '--compose', await vendor.composeFor('2.0.0'), '--app', vendor.app, '--version', '2.0.0', '--trust', vendor.trustDir, '--store', vendor.storeDir, '--provenance', '--builder-id', 'x');
  assert.equal(r2.code, 0, r2.stderr);
});
after(async () => {
  await vendor?.cleanup();
});

test('the provenance is a DSSE envelope over an in-toto statement, signed by the release key, naming the release', async () => {
  const env = JSON.parse(await readFile(provenanceFile('1.0.0'), 'utf8')) as { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
  assert.equal(env.payloadType, DSSE_PAYLOAD_TYPE);
  const payload = Buffer.from(env.payload, 'base64');
  const statement = JSON.parse(payload.toString('utf8')) as { _type: string; predicateType: string; subject: { name: string; digest: { sha256: string } }[]; predicate: { buildDefinition: { externalParameters: { compose: { digest: { sha256: string } } } } } };
  assert.equal(statement._type, IN_TOTO_STATEMENT);
  assert.equal(statement.predicateType, SLSA_PROVENANCE);
  const release = await readFile(path.join(vendor.storeDir, 'releases', vendor.app, '1.0.0', 'release.json'));
  assert.deepEqual(statement.subject[0], { name: `${vendor.app}@1.0.0`, digest: { sha256: sha256(release).slice(7) } });
  assert.equal(`sha256:${statement.predicate.buildDefinition.externalParameters.compose.digest.sha256}`, sha256(await readFile(compose)));
  // Checked here with node:crypto alone, against the release key the root names.
  const root = JSON.parse(await readFile(vendor.rootJson, 'utf8')) as { signed: { roles: { release: { keyids: string[] } }; keys: Record<string, { public: string }> } };
  const [sig] = env.signatures;
  assert.ok(sig && root.signed.roles.release.keyids.includes(sig.keyid));
  const key = root.signed.keys[sig.keyid]!;
  const publicKey = createPublicKey({ key: Buffer.from(key.public, 'base64'), format: 'der', type: 'spki' });
  assert.ok(verify(null, pae(env.payloadType, payload), publicKey, Buffer.from(sig.sig, 'base64')));
});

test('release show verifies and prints it', async () => {
  const text = await skiff('release', 'show', `${vendor.app}@1.0.0`, '--store', vendor.storeDir);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^provenance \(in-toto, SLSA v1; signature verified, key [0-9a-f]+\):$/m);
  assert.match(text.stdout, /^ {2}builder: https:\/\/ci\.example\.com\/job\/netmon$/m);
  assert.match(text.stdout, /^ {2}CI run: https:\/\/ci\.example\.com\/job\/netmon\/42\/$/m);
  assert.match(text.stdout, new RegExp(`^  source: https://git\\.example\\.com/netmon\\.git @ ${'a'.repeat(40)}$`, 'm'));
  const json = JSON.parse((await skiff('release', 'show', `${vendor.app}@1.0.0`, '--store', vendor.storeDir, '--json')).stdout) as { provenance: { verified: boolean; builder: string; sourceCommit: string } };
  assert.equal(json.provenance.verified, true);
  assert.equal(json.provenance.sourceCommit, 'a'.repeat(40));
});

test('an edited provenance, or one copied from another release, is refused in one line', async () => {
  const file = provenanceFile('1.0.0');
  const original = await readFile(file, 'utf8');
  try {
    const env = JSON.parse(original) as { payload: string };
    const edited = Buffer.from(env.payload, 'base64').toString('utf8').replace('https://ci.example.com/job/netmon"', 'https://evil.example.com/"');
    await writeFile(file, JSON.stringify({ ...env, payload: Buffer.from(edited).toString('base64') }));
    const r = await skiff('release', 'show', `${vendor.app}@1.0.0`, '--store', vendor.storeDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^skiff: .*signature.*\n$/i);
    await copyFile(provenanceFile('2.0.0'), file);
    const c = await skiff('release', 'show', `${vendor.app}@1.0.0`, '--store', vendor.storeDir);
    assert.equal(c.code, 1);
    assert.match(c.stderr, new RegExp(`^skiff: the provenance of ${vendor.app}@1\\.0\\.0 is signed but names another release \\(${vendor.app}@2\\.0\\.0\\): it was copied from elsewhere\\n$`));
  } finally {
    await writeFile(file, original);
  }
});

test('CI variables give the defaults: GitHub Actions and Jenkins', () => {
  assert.deepEqual(
    provenanceOf({ provenance: true }, { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/netmon', GITHUB_RUN_ID: '7', GITHUB_SHA: 'b'.repeat(40), GITHUB_WORKFLOW_REF: 'acme/netmon/.github/workflows/release.yml@refs/tags/v1.0.0' }),
    { builderId: 'https://github.com/acme/netmon/.github/workflows/release.yml@refs/tags/v1.0.0', invocationId: 'https://github.com/acme/netmon/actions/runs/7', sourceRepo: 'https://github.com/acme/netmon', sourceCommit: 'b'.repeat(40) },
  );
  assert.deepEqual(provenanceOf({ provenance: true }, { JOB_URL: 'https://jenkins/job/n/', BUILD_URL: 'https://jenkins/job/n/3/', GIT_URL: 'git@x:n.git', GIT_COMMIT: 'c'.repeat(40) }), {
    builderId: 'https://jenkins/job/n/',
    invocationId: 'https://jenkins/job/n/3/',
    sourceRepo: 'git@x:n.git',
    sourceCommit: 'c'.repeat(40),
  });
  assert.equal(provenanceOf({}, {}), undefined);
});
