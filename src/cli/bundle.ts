// `skiff bundle`: export a release (full or delta) as one .skiff file, inspect one, verify one as an install would.
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { HashingStream } from '../oci/digest.ts';
import { FsBlobStore } from '../store/index.ts';
import { getRelease, loadChain, parseAppVersion } from '../release/index.ts';
import {
  VerifyOnlySink,
  inspectBundle,
  readBundle,
  trustVerifier,
  writeBundle,
  type BundleIndex,
} from '../bundle/index.ts';
import { parseRoot } from '../trust/index.ts';
import { SkiffError } from '../util/errors.ts';
import { progressBar } from './progress.ts';
import { formatBytes, runAction } from './run.ts';
import { bundleFetchCommand } from './bundle-fetch.ts';

interface Output {
  write(text: string): unknown;
}

const counts = (index: BundleIndex): { included: number; omitted: number } => ({
  included: index.blobs.filter((b) => b.included).length,
  omitted: index.blobs.filter((b) => !b.included).length,
});

function blobLines(index: BundleIndex, included: boolean, note: string): string[] {
  return index.blobs
    .filter((b) => b.included === included)
    .map((b) => `  ${b.kind} ${b.digest} ${formatBytes(b.size)}${note}`);
}

async function createBundleFile(
  opts: { store: string; ref: string; from?: string; out: string },
  out: Output,
): Promise<void> {
  const store = new FsBlobStore(opts.store);
  const { app, version } = parseAppVersion(opts.ref);
  const release = await getRelease(store, app, version);
  let base;
  if (opts.from !== undefined) {
    const b = parseAppVersion(opts.from);
    if (b.app !== app)
      throw new SkiffError(
        'USAGE',
        `--from ${opts.from} is another app than ${opts.ref}: a delta needs two versions of one app`,
      );
    base = await getRelease(store, b.app, b.version);
  }
  const chain = await loadChain(store, app);
  // Written beside the target and renamed: a crash never leaves a half bundle under the final name.
  const tmp = join(dirname(opts.out), `.${basename(opts.out)}.${randomBytes(4).toString('hex')}.tmp`);
  const hasher = new HashingStream();
  const handle = await open(tmp, 'wx').catch((e: unknown) => {
    throw new SkiffError(
      'NOT_FOUND',
      `cannot write ${opts.out}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (does its directory exist?)`,
    );
  });
  const bar = progressBar(`bundle ${app}@${version}`);
  try {
    const file = handle.createWriteStream();
    const written = pipeline(hasher, file);
    written.catch(() => undefined);
    const index = await writeBundle(
      { blobs: store, release, chain, ...(base ? { base } : {}) },
      hasher,
      (done, total) => bar.update(done, total),
    );
    await written;
    await rename(tmp, opts.out);
    bar.stop();
    const c = counts(index);
    out.write(
      `wrote ${opts.out}: ${app}@${version}${index.base ? ` (delta from ${index.base.version})` : ' (full)'}\n`,
    );
    out.write(`size: ${formatBytes(hasher.size)} (${hasher.size} bytes)\n`);
    out.write(
      `blobs: ${c.included} included (${formatBytes(index.includedBytes)}), ${c.omitted} omitted (${formatBytes(index.omittedBytes)})\n`,
    );
    out.write(`sha256: ${hasher.digest().slice('sha256:'.length)}\n`);
  } catch (e) {
    bar.stop();
    await rm(tmp, { force: true });
    throw e;
  }
}

async function inspectBundleFile(file: string, json: boolean, out: Output): Promise<void> {
  const s = await inspectBundle(file);
  const { index, release } = s;
  const images = Object.fromEntries(
    Object.entries(release.images).map(([svc, i]) => [
      svc,
      { manifestDigest: i.manifestDigest, platform: i.platform, size: i.sizes.total },
    ]),
  );
  if (json) {
    const { blobs, ...rest } = index;
    out.write(
      `${JSON.stringify({ file, fileSize: s.fileSize, roots: s.roots, ...rest, images, included: blobs.filter((b) => b.included), omitted: blobs.filter((b) => !b.included) }, null, 2)}\n`,
    );
    return;
  }
  const c = counts(index);
  const lines = [
    `${index.app}@${index.version}${index.base ? ` delta from ${index.base.version} (${index.base.releaseDigest})` : ' full bundle'}`,
    `release digest: ${index.releaseDigest}`,
    `file: ${formatBytes(s.fileSize)}; trust roots: ${s.roots}`,
    'images:',
    ...Object.entries(images).map(
      ([svc, i]) =>
        `  ${svc}: ${i.manifestDigest} ${[i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join('/')} ${formatBytes(i.size)}`,
    ),
    `included: ${c.included} blobs, ${formatBytes(index.includedBytes)}`,
    ...blobLines(index, true, ''),
    `omitted: ${c.omitted} blobs, ${formatBytes(index.omittedBytes)}`,
    ...blobLines(index, false, ' (in base)'),
  ];
  out.write(`${lines.join('\n')}\n`);
}

async function verifyBundleFile(file: string, rootFile: string, json: boolean, out: Output): Promise<void> {
  const rootBytes = await readFile(rootFile).catch((e: unknown) => {
    throw new SkiffError(
      'NOT_FOUND',
      `cannot read the trusted root ${rootFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  });
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) =>
    source.once('open', () => resolve()).once('error', reject),
  );
  await opened.catch((e: unknown) => {
    throw new SkiffError(
      'NOT_FOUND',
      `cannot read the bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  });
  const bar = progressBar('verify');
  const contents = await readBundle(source, {
    verify: trustVerifier(parseRoot(rootBytes, rootFile)),
    sink: new VerifyOnlySink(),
    allowMissing: true,
    name: file,
    onProgress: (done, total) => bar.update(done, total),
  }).finally(() => bar.stop());
  const { index, release, received } = contents;
  const notChecked = index.blobs.filter((b) => !b.included);
  if (json) {
    out.write(
      `${JSON.stringify({ verified: true, app: release.app, version: release.version, releaseDigest: index.releaseDigest, ...(index.base ? { base: index.base } : {}), checked: received, notChecked: notChecked.map((b) => b.digest) }, null, 2)}\n`,
    );
    return;
  }
  out.write(`verified ${release.app}@${release.version} (${index.releaseDigest})\n`);
  out.write(`  ${received.length} blobs checked, ${formatBytes(index.includedBytes)}\n`);
  if (notChecked.length > 0) {
    out.write(
      `  ${notChecked.length} blobs in base ${index.base?.version ?? '?'}, not checked (${formatBytes(index.omittedBytes)})\n`,
    );
    out.write(`${blobLines(index, false, ' (in base, not checked)').join('\n')}\n`);
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
    .option('--from <app@version>', 'base release the site already runs (delta bundle)')
    .requiredOption('-o, --output <file>', 'the .skiff file to write')
    .action((ref: string, opts: { store: string; from?: string; output: string }) =>
      runAction(() =>
        createBundleFile(
          {
            store: opts.store,
            ref,
            out: opts.output,
            ...(opts.from === undefined ? {} : { from: opts.from }),
          },
          out,
        ),
      ),
    );

  bundle
    .command('inspect')
    .description('print what a bundle carries (app, version, base, images, blobs) without verifying it')
    .argument('<file>', 'the .skiff file')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) =>
      runAction(() => inspectBundleFile(file, opts.json === true, out)),
    );

  bundle
    .command('verify')
    .description(
      'check a bundle as an install would (trust chain, signature, every blob), without installing',
    )
    .argument('<file>', 'the .skiff file')
    .requiredOption('--trust <root.json>', "the vendor's root.json to trust")
    .option('--json', 'print JSON')
    .action((file: string, opts: { trust: string; json?: boolean }) =>
      runAction(() => verifyBundleFile(file, opts.trust, opts.json === true, out)),
    );

  bundle.addCommand(bundleFetchCommand(out));
  return bundle;
}
