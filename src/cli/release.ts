// `skiff release`: create a signed release from a Compose file and local images; list, show and diff releases.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { DockerEngine } from '../engine/index.ts';
import type { ImageSource, ReleaseDiff, StoredRelease } from '../release/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { formatBytes, runAction } from './run.ts';
import { releasePushCommand } from './release-push.ts';
import { releaseLicensesCommand, releaseSbomCommand } from './release-sbom.ts';
import { releaseScanCommand, releaseVerifyScanCommand } from './release-scan.ts';
import { releaseWaiveCommand } from './gates.ts';
import { describeProvenance, provenanceOf, provenanceSummary, withProvenanceOptions, type ProvenanceFlags } from './provenance.ts';

interface Output {
  write(text: string): unknown;
}

/** The libraries a release command runs, loaded when it runs: `skiff release --help` starts without them. */
const libs = async () => {
  const [release, { FsBlobStore }] = await Promise.all([import('../release/index.ts'), import('../store/index.ts')]);
  return { ...release, FsBlobStore };
};

/**
 * The local Docker Engine as `release create` reads images from it: connected at the first image, after the Compose
 * file and the keys are read and checked (a bad input fails without the engine client loaded), and closed by `close`
 * so no idle connection keeps the process alive after its work is done.
 */
function engineOnFirstUse(): ImageSource & { close(): Promise<void> } {
  let connected: Promise<DockerEngine> | undefined;
  const connect = (): Promise<DockerEngine> => (connected ??= import('../engine/index.ts').then(({ DockerEngine }) => DockerEngine.connect()));
  return {
    imageInspect: async (ref) => (await connect()).imageInspect(ref),
    imageExport: async (ref, signal) => (await connect()).imageExport(ref, signal),
    close: async () => connected?.then((e) => e.close(), () => undefined),
  };
}

async function readChangelog(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  return readFile(file, 'utf8').catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the changelog', { path: file }) ?? `cannot read the changelog ${file}: ${errorMessage(e)}`, { cause: e });
  });
}

function summary(r: StoredRelease): object {
  const m = r.manifest;
  return {
    app: m.app,
    version: m.version,
    digest: r.digest,
    createdAt: m.createdAt,
    services: Object.fromEntries(
      Object.entries(m.images).map(([s, i]) => [
        s,
        {
          ref: i.ref,
          manifestDigest: i.manifestDigest,
          configDigest: i.configDigest,
          platform: i.platform,
          size: i.sizes.total,
        },
      ]),
    ),
    config: m.configSchema.map((c) => ({
      name: c.name,
      type: c.type,
      required: c.required,
      secret: c.secret,
      ...(c.description ? { description: c.description } : {}),
    })),
    changelog: m.changelog,
    sbom: m.sbom,
  };
}

const platformOf = (p: { os: string; architecture: string; variant?: string }): string =>
  [p.os, p.architecture, p.variant].filter(Boolean).join('/');

function describeImages(r: StoredRelease): string[] {
  return Object.entries(r.manifest.images).map(
    ([s, i]) =>
      `  ${s}: ${i.ref} ${i.manifestDigest} ${platformOf(i.platform)} ${formatBytes(i.sizes.total)}`,
  );
}

function describe(r: StoredRelease): string {
  const m = r.manifest;
  const lines = [
    `${m.app}@${m.version}`,
    `release digest: ${r.digest}`,
    `created: ${m.createdAt}`,
    'services:',
    ...describeImages(r),
    ...m.sbom.map((a) => `sbom: ${a.digest} (${a.mediaType}, ${formatBytes(a.size)})`),
  ];
  lines.push(m.configSchema.length === 0 ? 'config settings: none' : 'config settings:');
  for (const c of m.configSchema)
    lines.push(
      `  ${c.name}: ${c.type}${c.required ? ', required' : ''}${c.secret ? ', secret' : ''}${c.description ? ` (${c.description})` : ''}`,
    );
  lines.push(
    m.changelog ? `changelog:\n${m.changelog.replace(/\n+$/, '').replace(/^/gm, '  ')}` : 'changelog: none',
  );
  return lines.join('\n');
}

const show = (v: unknown): string => JSON.stringify(v);

function describeDiff(d: ReleaseDiff): string {
  const lines = [`${d.app} ${d.from.version} → ${d.to.version}`];
  const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : 'none');
  lines.push(
    `services added: ${list(d.services.added)}; removed: ${list(d.services.removed)}; changed: ${list(d.services.changed)}`,
  );
  for (const s of d.images.filter((i) => i.status !== 'unchanged')) {
    lines.push(
      `  ${s.service} (${s.status})${s.imageChanged ? `: ${s.from?.ref ?? '-'} → ${s.to?.ref ?? '-'}` : ': same image'}`,
    );
    for (const l of s.layersAdded) lines.push(`    + layer ${l.digest} ${formatBytes(l.size)}`);
    for (const l of s.layersRemoved) lines.push(`    - layer ${l.digest} ${formatBytes(l.size)}`);
  }
  lines.push(
    `a delta bundle from ${d.from.version} carries ${d.delta.blobs} blobs, ${formatBytes(d.delta.bytes)}`,
  );
  lines.push(d.compose.length === 0 ? 'compose: unchanged' : 'compose:');
  for (const c of d.compose) {
    if (c.kind === 'added') lines.push(`  + ${c.path}: ${show(c.to)}`);
    else if (c.kind === 'removed') lines.push(`  - ${c.path}: ${show(c.from)}`);
    else lines.push(`  ~ ${c.path}: ${show(c.from)} → ${show(c.to)}`);
  }
  return lines.join('\n');
}

export function releaseCommand(out: Output = process.stdout): Command {
  const release = new Command('release').description(
    'create signed releases from a Compose file and local images; list, show and compare them',
  );

  withProvenanceOptions(release
    .command('create'))
    .description(
      'read every image of a Compose file from the local Docker Engine into the store and sign the release',
    )
    .requiredOption('--compose <file>', 'the Compose file (Skiff subset)')
    .requiredOption('--app <name>', 'app name, e.g. netmon')
    .requiredOption('--version <x.y.z>', 'the release version (semver)')
    .requiredOption('--trust <dir>', 'trust dir holding the release signing keys')
    .requiredOption('--store <dir>', 'content store to write blobs and the release into')
    .option('--changelog <file>', 'a file whose text becomes the release changelog')
    .option(
      '--agent-image <ref>',
      'also carry this skiff-agent image (npm run agent-image builds it): its full bundles load with docker load -i BUNDLE, so a first install needs only the bundle and Docker',
    )
    .addOption(new Option('--layer-compression <kind>', 'gzip (smallest layers) or stored (no compression: agents rebuild content-level deltas at disk speed, on any Node)').choices(['gzip', 'stored']).default('gzip'))
    .action(
      (opts: {
        compose: string;
        app: string;
        version: string;
        trust: string;
        store: string;
        changelog?: string;
        agentImage?: string;
        layerCompression: 'gzip' | 'stored';
      } & ProvenanceFlags) =>
        runAction(async () => {
          // The inputs are read before the release libraries load: a missing file fails at once.
          const changelog = await readChangelog(opts.changelog);
          const composeText = await (await import('../release/index-compose-file.ts')).readComposeFile(opts.compose);
          const { createRelease, FsBlobStore } = await libs();
          const engine = engineOnFirstUse();
          try {
            const { release: r, created } = await createRelease({
              composeFile: opts.compose,
              composeText,
              app: opts.app,
              version: opts.version,
              trustDir: opts.trust,
              store: new FsBlobStore(opts.store),
              engine,
              ...(changelog === undefined ? {} : { changelog }),
              ...(opts.agentImage ? { agentImage: opts.agentImage } : {}),
              layerCompression: opts.layerCompression,
              onImage: (service, ref) => process.stderr.write(`reading ${service}: ${ref}\n`),
              onSbom: () => process.stderr.write('reading the layers for the SBOM\n'),
              ...(opts.provenance ? { provenance: provenanceOf(opts) } : {}),
            });
            out.write(
              `${r.manifest.app}@${r.manifest.version} ${created ? 'created' : 'already exists (identical)'}\n`,
            );
            out.write(`release digest: ${r.digest}\n${describeImages(r).join('\n')}\n`);
          } finally {
            await engine.close();
          }
        }),
    );

  release
    .command('list')
    .description('list the releases in a store, in version order')
    .requiredOption('--store <dir>', 'content store')
    .option('--app <name>', 'only this app')
    .option('--json', 'print JSON')
    .action((opts: { store: string; app?: string; json?: boolean }) =>
      runAction(async () => {
        const { listReleases, FsBlobStore } = await libs();
        const all = await listReleases(new FsBlobStore(opts.store), opts.app);
        if (opts.json) {
          out.write(
            `${JSON.stringify(
              all.map((r) => ({
                app: r.manifest.app,
                version: r.manifest.version,
                digest: r.digest,
                createdAt: r.manifest.createdAt,
              })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        if (all.length === 0) out.write('no releases\n');
        for (const r of all)
          out.write(`${r.manifest.app}@${r.manifest.version}  ${r.digest}  ${r.manifest.createdAt}\n`);
      }),
    );

  release
    .command('show')
    .description('print a release: services, images, sizes, config settings, changelog and digest')
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { store: string; json?: boolean }) =>
      runAction(async () => {
        const { parseAppVersion, getRelease, readProvenance, FsBlobStore } = await libs();
        const { app, version } = parseAppVersion(ref);
        const store = new FsBlobStore(opts.store);
        const r = await getRelease(store, app, version);
        const p = await readProvenance(store, r);
        out.write(
          opts.json
            ? `${JSON.stringify({ ...summary(r), provenance: p ? provenanceSummary(p) : null }, null, 2)}\n`
            : `${[describe(r), ...describeProvenance(p)].join('\n')}\n`,
        );
      }),
    );

  release
    .command('diff')
    .description('compare two releases: services, image layers, delta size and Compose changes')
    .argument('<from>', 'the older release, APP@VERSION')
    .argument('<to>', 'the newer release, APP@VERSION')
    .requiredOption('--store <dir>', 'content store')
    .option('--json', 'print JSON')
    .action((from: string, to: string, opts: { store: string; json?: boolean }) =>
      runAction(async () => {
        const { parseAppVersion, getRelease, diffReleases, FsBlobStore } = await libs();
        const store = new FsBlobStore(opts.store);
        const a = parseAppVersion(from);
        const b = parseAppVersion(to);
        const d = await diffReleases(
          store,
          await getRelease(store, a.app, a.version),
          await getRelease(store, b.app, b.version),
        );
        out.write(opts.json ? `${JSON.stringify(d, null, 2)}\n` : `${describeDiff(d)}\n`);
      }),
    );

  release.addCommand(releasePushCommand(out));
  release.addCommand(releaseSbomCommand(out));
  release.addCommand(releaseLicensesCommand(out));
  release.addCommand(releaseScanCommand(out));
  release.addCommand(releaseVerifyScanCommand(out));
  release.addCommand(releaseWaiveCommand(out));
  return release;
}
