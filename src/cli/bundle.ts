// `skiff bundle`: export a release (full or delta) as one .skiff file, inspect one, verify one as an install would.
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import type { BundleIndex, TrustOutcome } from '../bundle/index.ts';
import type { RootMeta } from '../trust/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { progressBar } from './progress.ts';
import { formatBytes, runAction } from './run.ts';
import { bundleFetchCommand } from './bundle-fetch.ts';

interface Output {
  write(text: string): unknown;
}

/** The libraries a bundle command runs, loaded when it runs: `skiff bundle --help` starts without them. */
const libs = async () => {
  const [bundle, release, trust, { HashingStream }, { FsBlobStore }] = await Promise.all([
    import('../bundle/index.ts'),
    import('../release/index.ts'),
    import('../trust/index.ts'),
    import('../oci/index.ts'),
    import('../store/index.ts'),
  ]);
  return { ...bundle, ...release, ...trust, HashingStream, FsBlobStore };
};

/** What `bundle verify` and `inspect` run: the reader and the trust check only, so they start without the writer's libraries. */
const readLibs = async () => {
  const [bundle, { parseRoot }, { releaseDigest }] = await Promise.all([import('../bundle/index-verify.ts'), import('../trust/index.ts'), import('../release/index-manifest.ts')]);
  return { ...bundle, parseRoot, releaseDigest };
};

const counts = (index: BundleIndex): { included: number; omitted: number } => ({
  included: index.blobs.filter((b) => b.included).length,
  omitted: index.blobs.filter((b) => !b.included).length,
});

function blobLines(index: BundleIndex, included: boolean, note: string): string[] {
  return index.blobs
    .filter((b) => b.included === included)
    .map((b) => `    ${b.kind} ${b.digest} ${formatBytes(b.size)}${note}`);
}

async function createBundleFile(
  opts: { store: string; ref: string; from?: readonly string[]; out: string; recipients?: readonly string[]; layersOnly?: boolean },
  out: Output,
): Promise<void> {
  const { FsBlobStore, parseAppVersion, getRelease, loadChain, HashingStream, writeBundle, bundleBases } = await libs();
  const store = new FsBlobStore(opts.store);
  const { app, version } = parseAppVersion(opts.ref);
  const release = await getRelease(store, app, version);
  const bases: Awaited<ReturnType<typeof getRelease>>[] = [];
  for (const from of opts.from ?? []) {
    const b = parseAppVersion(from);
    if (b.app !== app)
      throw new SkiffError(
        'USAGE',
        `--from ${from} is another app than ${opts.ref}: a delta needs two versions of one app`,
      );
    if (bases.some((x) => x.manifest.version === b.version)) throw new SkiffError('USAGE', `--from ${from} is given twice: name each base once`);
    bases.push(await getRelease(store, b.app, b.version));
  }
  const [base, ...moreBases] = bases;
  const chain = await loadChain(store, app);
  // Written beside the target and renamed: a crash never leaves a half bundle under the final name.
  const tmp = join(dirname(opts.out), `.${basename(opts.out)}.${randomBytes(4).toString('hex')}.tmp`);
  const hasher = new HashingStream();
  const handle = await open(tmp, 'wx').catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the bundle', { path: opts.out, fix: 'create its directory first' }) ?? `cannot write the bundle ${opts.out}: ${errorMessage(e)}`, { cause: e });
  });
  const bar = progressBar(`bundle ${app}@${version}`);
  try {
    const file = handle.createWriteStream();
    const written = pipeline(hasher, file);
    written.catch(() => undefined);
    const index = await writeBundle(
      { blobs: store, release, chain, ...(base ? { base, moreBases } : {}), ...(opts.recipients?.length ? { recipients: opts.recipients } : {}), ...(opts.layersOnly ? { layersOnly: true } : {}) },
      hasher,
      (done, total) => bar.update(done, total),
    );
    await written;
    await rename(tmp, opts.out);
    bar.stop();
    const c = counts(index);
    out.write(
      `wrote ${opts.out}: ${app}@${version}${index.base ? ` (delta from ${bundleBases(index).map((b) => b.version).join(' or ')})` : ' (full)'}\n`,
    );
    out.write(`size: ${formatBytes(hasher.size)} (${hasher.size} bytes)\n`);
    out.write(
      `blobs: ${c.included} included (${formatBytes(index.includedBytes)}), ${c.omitted} omitted (${formatBytes(index.omittedBytes)})\n`,
    );
    if (index.packs?.length) out.write(`chunk packs: ${index.packs.length} layers rebuilt at the site from ${formatBytes(index.packs.reduce((n, p) => n + p.size, 0))} of new chunks\n`);
    out.write(`sha256: ${hasher.digest().slice('sha256:'.length)}\n`);
  } catch (e) {
    bar.stop();
    await rm(tmp, { force: true });
    throw e;
  }
}

// The inputs are read before the libraries load: a missing file fails at once.
async function readTrustedRoot(rootFile: string): Promise<RootMeta> {
  const rootBytes = await readFile(rootFile).catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the trusted root') ?? `cannot read the trusted root ${rootFile}: ${String(e)}`, { cause: e });
  });
  const { parseRoot } = await readLibs();
  return parseRoot(rootBytes, rootFile);
}

async function inspectBundleFile(file: string, rootFile: string | undefined, json: boolean, out: Output): Promise<void> {
  const trusted = rootFile ? await readTrustedRoot(rootFile) : undefined;
  await stat(file); // inspectBundle's first step, before the reader loads
  const { trustVerifier, inspectBundle, bundleBases } = await readLibs();
  const outcome: TrustOutcome = {};
  const s = await inspectBundle(file, trusted ? trustVerifier(trusted, outcome) : undefined);
  const { index, release } = s;
  const images = Object.fromEntries(
    Object.entries(release.images).map(([svc, i]) => [
      svc,
      { manifestDigest: i.manifestDigest, platform: i.platform, size: i.sizes.total },
    ]),
  );
  if (json) {
    const { blobs, schema: _schema, ...rest } = index;
    const bundleJson = { verified: false, ...rest, included: blobs.filter((b) => b.included), omitted: blobs.filter((b) => !b.included) };
    out.write(
      `${JSON.stringify({ file, fileSize: s.fileSize, roots: s.roots, app: release.app, version: release.version, releaseDigest: s.releaseDigest, signature: s.signature, images, bundleJson, ...(s.disagreement ? { disagreement: s.disagreement } : {}) }, null, 2)}\n`,
    );
    return;
  }
  const c = counts(index);
  const checked =
    s.signature === 'verified'
      ? `trust chain and signature verified with root version ${outcome.root?.signed.version ?? '?'}; blobs not checked: run skiff bundle verify`
      : 'signature NOT checked: pass --trust root.json to check it; skiff bundle verify checks everything';
  const lines = [
    `${release.app}@${release.version} (from release.json; ${checked})`,
    `release digest: ${s.releaseDigest}`,
    `file: ${formatBytes(s.fileSize)}; trust roots: ${s.roots}`,
    'images:',
    ...Object.entries(images).map(
      ([svc, i]) =>
        `  ${svc}: ${i.manifestDigest} ${[i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join('/')} ${formatBytes(i.size)}`,
    ),
    ...(s.disagreement
      ? [`warning: bundle.json disagrees with release.json: ${s.disagreement}; bundle verify and agent install refuse this bundle`]
      : []),
    `bundle.json (an unsigned index, not verified): ${index.base ? `delta from ${bundleBases(index).map((b) => `${b.version} (${b.releaseDigest})`).join(' or ')}` : 'full bundle'}`,
    `  included: ${c.included} blobs, ${formatBytes(index.includedBytes)}`,
    ...blobLines(index, true, ''),
    `  omitted: ${c.omitted} blobs, ${formatBytes(index.omittedBytes)}`,
    ...blobLines(index, false, ' (in base)'),
  ];
  out.write(`${lines.join('\n')}\n`);
}

async function verifyBundleFile(file: string, rootFile: string, json: boolean, out: Output, identities?: readonly string[]): Promise<void> {
  const trusted = await readTrustedRoot(rootFile);
  const { readBundle, trustVerifier, basesText, VerifyOnlySink, releaseDigest, BUNDLE_READ_BYTES } = await readLibs();
  const source = createReadStream(file, { highWaterMark: BUNDLE_READ_BYTES });
  const opened = new Promise<void>((resolve, reject) =>
    source.once('open', () => resolve()).once('error', reject),
  );
  await opened.catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the bundle') ?? `cannot read the bundle ${file}: ${String(e)}`, { cause: e });
  });
  const bar = progressBar('verify');
  const contents = await readBundle(source, {
    verify: trustVerifier(trusted),
    sink: new VerifyOnlySink(),
    allowMissing: true,
    name: file,
    ...(identities ? { identities } : {}),
    onProgress: (done, total) => bar.update(done, total),
  }).finally(() => bar.stop());
  // Every figure from what was checked: the verified release and the blobs hashed, never bundle.json's claims.
  const { index, release, received, receivedBytes, missing } = contents;
  const digest = releaseDigest(contents.releaseBytes);
  if (json) {
    out.write(
      `${JSON.stringify({ verified: true, app: release.app, version: release.version, releaseDigest: digest, checked: received, checkedBytes: receivedBytes, notChecked: missing.map((b) => b.digest), ...(index.base ? { unverifiedBase: index.base } : {}), ...(index.bases ? { unverifiedBases: index.bases } : {}) }, null, 2)}\n`,
    );
    return;
  }
  out.write(`verified ${release.app}@${release.version} (${digest})\n`);
  out.write(`  ${received.length} blobs checked, ${formatBytes(receivedBytes)}\n`);
  if (missing.length > 0) {
    const base = index.base ? `${basesText(release.app, index)}, as bundle.json names it` : 'its base release';
    out.write(
      `  ${missing.length} blobs the release needs are not in this delta bundle, not checked: an install takes them from ${base}\n`,
    );
    for (const b of missing)
      out.write(`    ${b.kind} ${b.digest} ${formatBytes(b.size)}${b.kind === 'manifest' ? ' (and what it reaches, unknown without the base)' : ''}\n`);
  }
}

export function bundleCommand(out: Output = process.stdout): Command {
  const bundle = new Command('bundle').description(
    'export a release as one verifiable .skiff file; inspect and verify bundles',
  );

  bundle
    .command('create')
    .description('write a full bundle, or a delta with only the blobs the --from release lacks')
    .argument('<app@version>', 'the release to export')
    .requiredOption('--store <dir>', 'content store holding the release')
    .option('--from <app@version>', 'base release the site already runs (delta bundle); repeat it for a delta that applies to any one of several', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('-o, --output <file>', 'the .skiff file to write')
    .option('--recipient <age1…>', "encrypt every blob to this customer's age X25519 recipient (repeatable); the signed release stays readable", (v: string, prev: string[] = []) => [...prev, v])
    .option('--layers-only', 'a delta carries changed layers whole, never as chunk packs the agent rebuilds')
    .action((ref: string, opts: { store: string; from?: string[]; output: string; recipient?: string[]; layersOnly?: boolean }) =>
      runAction(() =>
        createBundleFile(
          {
            store: opts.store,
            ref,
            out: opts.output,
            ...(opts.from === undefined ? {} : { from: opts.from }),
            ...(opts.recipient ? { recipients: opts.recipient } : {}),
            ...(opts.layersOnly ? { layersOnly: true } : {}),
          },
          out,
        ),
      ),
    );

  bundle
    .command('inspect')
    .description(
      "print what a bundle carries (app, version, images from release.json; base and blobs from bundle.json, unverified) without reading its blobs",
    )
    .argument('<file>', 'the .skiff file')
    .option('--trust <root.json>', "also check the trust chain and the release signature against the vendor's root.json")
    .option('--json', 'print JSON')
    .action((file: string, opts: { trust?: string; json?: boolean }) =>
      runAction(() => inspectBundleFile(file, opts.trust, opts.json === true, out)),
    );

  bundle
    .command('verify')
    .description(
      'check a bundle as an install would (trust chain, signature, every blob), without installing',
    )
    .argument('<file>', 'the .skiff file')
    .requiredOption('--trust <root.json>', "the vendor's root.json to trust")
    .option('--identity <file>', 'age identity file (AGE-SECRET-KEY-1…) to decrypt an encrypted bundle')
    .option('--json', 'print JSON')
    .action((file: string, opts: { trust: string; identity?: string; json?: boolean }) =>
      runAction(async () => verifyBundleFile(file, opts.trust, opts.json === true, out, opts.identity ? await (await import('../bundle/index.ts')).readIdentityFile(opts.identity) : undefined)),
    );

  bundle
    .command('keygen')
    .description("make a customer's age X25519 key pair for encrypted bundles: the identity file stays at the site, the recipient goes to the vendor")
    .requiredOption('-o, --output <file>', 'the identity file to write (mode 0600; refused if it exists)')
    .action((opts: { output: string }) =>
      runAction(async () => {
        const { identity, recipient } = await (await libs()).newIdentity();
        await writeFile(opts.output, `# public key: ${recipient}\n${identity}\n`, { mode: 0o600, flag: 'wx' }).catch((e: unknown) => {
          throw new SkiffError('CONFLICT', fsErrorMessage(e, 'the identity file', { fix: 'create its directory first' }) ?? `cannot write the identity file ${opts.output}: ${errorMessage(e)}`, { cause: e });
        });
        out.write(`${recipient}\n`);
      }),
    );

  bundle.addCommand(bundleFetchCommand(out));
  return bundle;
}
