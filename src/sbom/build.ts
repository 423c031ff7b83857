// Builds a release's SBOM from the images already in the store: each image's layers read once (a layer shared by two
// images, a common base, is read once too), its package databases catalogued, one CycloneDX document for all.
import { buffer } from 'node:stream/consumers';
import { parseImageManifest, type Digest } from '../oci/index.ts';
import type { BlobStore } from '../store/index.ts';
import { catalogImage, type ImageCatalog } from './catalog.ts';
import { cyclonedxDocument, type SbomImage, type SbomSubject } from './cyclonedx.ts';
import { imageCatalogFiles, LayerCache } from './layer-files.ts';

export interface SbomImageInput {
  readonly ref: string;
  readonly manifestDigest: Digest;
}

/** The CycloneDX bytes for `images` (service → image), every image manifest and layer read from `store` (or `cache`). */
export async function buildSbom(store: BlobStore, subject: SbomSubject, images: Readonly<Record<string, SbomImageInput>>, signal?: AbortSignal, cache = new LayerCache()): Promise<Buffer> {
  const catalogs = new Map<Digest, ImageCatalog>();
  const out: SbomImage[] = [];
  for (const service of Object.keys(images).sort()) {
    const img = images[service];
    if (!img) continue;
    let catalog = catalogs.get(img.manifestDigest);
    if (!catalog) {
      const manifest = parseImageManifest(await buffer(await store.get(img.manifestDigest, { signal })), `image manifest of ${service}`);
      catalog = catalogImage(await imageCatalogFiles(store, manifest.layers, signal, cache));
      catalogs.set(img.manifestDigest, catalog);
    }
    out.push({ service, ref: img.ref, manifestDigest: img.manifestDigest, catalog });
  }
  return cyclonedxDocument(subject, out);
}
