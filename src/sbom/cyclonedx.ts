// CycloneDX 1.5 JSON: the SBOM document a release carries, written deterministically (the same images always give the
// same bytes, so re-creating a release is idempotent) and read back into the packages scan and license reports use.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { canonicalJson } from '../trust/index.ts';
import { SkiffError } from '../util/index.ts';
import type { CatalogPackage, Distro, ImageCatalog } from './catalog.ts';

export const CYCLONEDX_SPEC = '1.5';

/** Property names of the components, under the `skiff:` namespace (CycloneDX's custom property convention). */
export const Prop = {
  ecosystem: 'skiff:ecosystem',
  sourceName: 'skiff:source-name',
  sourceVersion: 'skiff:source-version',
  location: 'skiff:location',
  service: 'skiff:service',
} as const;

/** SPDX ids common in images; other license names go into `name` (an unknown `id` makes the document invalid). */
const SPDX_IDS = new Set(
  '0BSD AGPL-3.0-only AGPL-3.0-or-later Apache-1.1 Apache-2.0 Artistic-1.0 Artistic-2.0 BlueOak-1.0.0 BSD-1-Clause BSD-2-Clause BSD-3-Clause BSD-4-Clause CC-BY-3.0 CC-BY-4.0 CC0-1.0 curl EPL-1.0 EPL-2.0 GPL-1.0-only GPL-1.0-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only GPL-3.0-or-later ISC LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0-only LGPL-3.0-or-later MIT MIT-0 MPL-1.1 MPL-2.0 OpenSSL PSF-2.0 Python-2.0 Unlicense WTFPL X11 Zlib'.split(' '),
);

type License = { license: { id: string } | { name: string } } | { expression: string };

function licenseEntry(text: string): License {
  if (SPDX_IDS.has(text)) return { license: { id: text } };
  if (/\s(AND|OR|WITH)\s/.test(text) && /^[A-Za-z0-9.+\-() ]+$/.test(text)) return { expression: text };
  return { license: { name: text } };
}

/** The OSV ecosystem of a package (what `release scan` matches advisories by). */
export function osvEcosystem(p: CatalogPackage, distro: Distro | undefined): string {
  switch (p.type) {
    case 'npm':
      return 'npm';
    case 'pypi':
      return 'PyPI';
    case 'golang':
      return 'Go';
    case 'apk': {
      const mm = /^(\d+\.\d+)/.exec(distro?.versionId ?? '')?.[1];
      return mm ? `Alpine:v${mm}` : 'Alpine';
    }
    case 'deb': {
      const major = /^(\d+)/.exec(distro?.versionId ?? '')?.[1];
      if (distro?.id === 'ubuntu') return 'Ubuntu';
      return major ? `Debian:${major}` : 'Debian';
    }
  }
}

const enc = (s: string): string => encodeURIComponent(s);

/** The package URL (purl spec) of a package. */
export function purlOf(p: CatalogPackage, distro: Distro | undefined): string {
  const q = (pairs: [string, string | undefined][]) => {
    const s = pairs.filter(([, v]) => v).map(([k, v]) => `${k}=${enc(v ?? '')}`);
    return s.length ? `?${s.join('&')}` : '';
  };
  switch (p.type) {
    case 'npm': {
      const [scope, name] = p.name.startsWith('@') ? p.name.split('/') : [undefined, p.name];
      return `pkg:npm/${scope ? `${enc(scope)}/` : ''}${enc(name ?? '')}@${enc(p.version)}`;
    }
    case 'golang':
      return `pkg:golang/${p.name.split('/').map(enc).join('/')}@${enc(p.version)}`;
    case 'pypi':
      return `pkg:pypi/${enc(p.name.toLowerCase().replace(/[-_.]+/g, '-'))}@${enc(p.version)}`;
    case 'apk':
      return `pkg:apk/${distro?.id ?? 'alpine'}/${enc(p.name)}@${enc(p.version)}${q([['arch', p.arch]])}`;
    case 'deb':
      return `pkg:deb/${distro?.id ?? 'debian'}/${enc(p.name)}@${enc(p.version)}${q([
        ['arch', p.arch],
        ['distro', distro ? `${distro.id}-${distro.versionId}` : undefined],
      ])}`;
  }
}

export interface SbomImage {
  readonly service: string;
  readonly ref: string;
  readonly manifestDigest: string;
  readonly catalog: ImageCatalog;
}

export interface SbomSubject {
  readonly app: string;
  readonly version: string;
  readonly tool: { readonly name: string; readonly version: string };
}

/** The CycloneDX document of a release's images: one component per image, one per distinct package (by purl). */
export function cyclonedxDocument(subject: SbomSubject, images: readonly SbomImage[]): Buffer {
  const packages = new Map<string, { p: CatalogPackage; ecosystem: string; locations: Set<string>; services: Set<string> }>();
  const dependsOn = new Map<string, Set<string>>();
  for (const img of images) {
    const refs = new Set<string>();
    for (const p of img.catalog.packages) {
      const purl = purlOf(p, img.catalog.distro);
      refs.add(purl);
      let e = packages.get(purl);
      if (!e) packages.set(purl, (e = { p, ecosystem: osvEcosystem(p, img.catalog.distro), locations: new Set(), services: new Set() }));
      e.locations.add(`${img.service}:/${p.path}`);
      e.services.add(img.service);
    }
    dependsOn.set(`image:${img.service}`, refs);
  }
  const imageComponents = images.map((img) => ({
    type: 'container',
    'bom-ref': `image:${img.service}`,
    name: img.ref,
    version: img.manifestDigest,
    properties: [{ name: Prop.service, value: img.service }],
  }));
  const packageComponents = [...packages].map(([purl, { p, ecosystem, locations, services }]) => ({
    type: 'library',
    'bom-ref': purl,
    name: p.name,
    version: p.version,
    purl,
    ...(p.licenses.length > 0 ? { licenses: licensesOf(p.licenses) } : {}),
    properties: [
      { name: Prop.ecosystem, value: ecosystem },
      ...(p.source ? [{ name: Prop.sourceName, value: p.source.name }, { name: Prop.sourceVersion, value: p.source.version }] : []),
      ...[...services].sort().map((value) => ({ name: Prop.service, value })),
      ...[...locations].sort().map((value) => ({ name: Prop.location, value })),
    ],
  }));
  const byRef = (a: { 'bom-ref': string }, b: { 'bom-ref': string }) => (a['bom-ref'] < b['bom-ref'] ? -1 : a['bom-ref'] > b['bom-ref'] ? 1 : 0);
  const components = [...imageComponents.sort(byRef), ...packageComponents.sort(byRef)];
  const dependencies = [
    { ref: 'release', dependsOn: imageComponents.map((c) => c['bom-ref']) },
    ...[...dependsOn].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ref, refs]) => ({ ref, dependsOn: [...refs].sort() })),
  ];
  const body = {
    metadata: {
      tools: { components: [{ type: 'application', name: subject.tool.name, version: subject.tool.version }] },
      component: { type: 'application', 'bom-ref': 'release', name: subject.app, version: subject.version },
    },
    components,
    dependencies,
  };
  // A serial number derived from the content (a UUIDv8): no clock or randomness, so the bytes are reproducible.
  const h = createHash('sha256').update(canonicalJson(body)).digest('hex');
  const serial = `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16] ?? '0', 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const doc = { bomFormat: 'CycloneDX', specVersion: CYCLONEDX_SPEC, serialNumber: `urn:uuid:${serial}`, version: 1, ...body };
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
}

function licensesOf(names: readonly string[]): License[] {
  const entries = names.map(licenseEntry);
  // CycloneDX allows one expression, or a list of licenses, not both.
  const expression = entries.find((e): e is { expression: string } => 'expression' in e);
  return expression ? [expression] : entries;
}

const Component = z.object({
  type: z.string(),
  'bom-ref': z.string().optional(),
  name: z.string(),
  version: z.string().optional(),
  purl: z.string().optional(),
  licenses: z
    .array(z.union([z.object({ expression: z.string() }), z.object({ license: z.object({ id: z.string().optional(), name: z.string().optional() }) })]))
    .optional(),
  properties: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
});

const Document = z.object({ bomFormat: z.literal('CycloneDX'), specVersion: z.string(), components: z.array(Component).optional() });

/** A package of the SBOM, as scans and license reports use it. */
export interface SbomPackage {
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  readonly ecosystem: string;
  readonly licenses: readonly string[];
  readonly services: readonly string[];
  readonly source?: { readonly name: string; readonly version: string };
}

/** The packages of a CycloneDX document (one written by cyclonedxDocument). */
export function sbomPackages(bytes: Uint8Array, what = 'the SBOM'): SbomPackage[] {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SkiffError('RELEASE_INVALID', `${what} is not JSON: the blob is corrupt`);
  }
  const doc = Document.safeParse(json);
  if (!doc.success) throw new SkiffError('RELEASE_INVALID', `${what} is not a CycloneDX document: ${doc.error.issues[0]?.path.join('.') ?? ''} ${doc.error.issues[0]?.message ?? ''}`.trim());
  const out: SbomPackage[] = [];
  for (const c of doc.data.components ?? []) {
    if (c.type !== 'library' || !c.version || !c.purl) continue;
    const props = (name: string) => (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value ?? '');
    const [sourceName] = props(Prop.sourceName);
    const [sourceVersion] = props(Prop.sourceVersion);
    out.push({
      name: c.name,
      version: c.version,
      purl: c.purl,
      ecosystem: props(Prop.ecosystem)[0] ?? '',
      licenses: (c.licenses ?? []).map((l) => ('expression' in l ? l.expression : (l.license.id ?? l.license.name ?? ''))).filter(Boolean),
      services: props(Prop.service),
      ...(sourceName ? { source: { name: sourceName, version: sourceVersion ?? c.version } } : {}),
    });
  }
  return out;
}
