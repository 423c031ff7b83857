// Reads what a bundle says about itself (bundle.json and the release), without verifying blobs.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import tar from 'tar-stream';
import { buffer } from 'node:stream/consumers';
import { parseReleaseManifest, type ReleaseManifest } from '../release/manifest.ts';
import { SkiffError, isSkiffError } from '../util/errors.ts';
import { BundleIndexSchema, Entry, MAX_METADATA_BYTES, ROOT_ENTRY_RE, type BundleIndex } from './format.ts';
import { BundleStart } from './recognize.ts';

export interface BundleSummary {
  readonly file: string;
  readonly fileSize: number;
  readonly index: BundleIndex;
  readonly release: ReleaseManifest;
  readonly roots: number;
}

export async function inspectBundle(file: string): Promise<BundleSummary> {
  const fileSize = (await stat(file)).size;
  const source = createReadStream(file);
  const extract = tar.extract();
  const start = new BundleStart(file);
  start.on('error', (e) => extract.destroy(e));
  source.pipe(start).pipe(extract);
  let release: ReleaseManifest | undefined;
  let roots = 0;
  try {
    for await (const entry of extract) {
      const { name, size = 0 } = entry.header;
      if (size > MAX_METADATA_BYTES) break;
      const bytes = await buffer(entry);
      if (ROOT_ENTRY_RE.test(name)) roots++;
      else if (name === Entry.release) release = parseReleaseManifest(bytes);
      else if (name === Entry.index) {
        const parsed = BundleIndexSchema.safeParse(JSON.parse(bytes.toString('utf8')));
        if (!parsed.success || !release) break;
        return { file, fileSize, index: parsed.data, release, roots };
      }
    }
  } catch (e) {
    if (isSkiffError(e, 'BUNDLE_INVALID') || isSkiffError(e, 'BUNDLE_TRUNCATED')) throw e;
    throw new SkiffError('BUNDLE_INVALID', `${file} is not a readable .skiff bundle: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    source.destroy();
    start.destroy();
    extract.destroy();
  }
  throw new SkiffError('BUNDLE_INVALID', `${file} is not a .skiff bundle: no release and bundle.json at its start`);
}
