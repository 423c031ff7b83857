// The support bundle file: a gzipped tar of text files with `spec.json` first (what was collected, which collectors
// failed and why, how it was redacted). Every file is redacted when written, and can be redacted again later.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { LineRedactor } from '../../redact/index.ts';
import { SkiffError } from '../../util/index.ts';
import type { CollectedFile, CollectorResult } from './collect.ts';

export const SPEC_PATH = 'spec.json';
/** An existing bundle is read whole into memory to redact it again: refuse what no support bundle reaches. */
const MAX_READ_BYTES = 512 * 1024 * 1024;
const FIXED_MTIME = new Date(0);

export interface RedactionRun {
  readonly at: string;
  /** How many secret setting values were hidden (the values themselves are never written). */
  readonly secretValues: number;
}

export interface SupportSpec {
  readonly schema: 'skiff-support-bundle/1';
  readonly createdAt: string;
  readonly app: string | null;
  readonly instance: string | null;
  readonly agentVersion: string;
  readonly collectors: readonly CollectorResult[];
  /** Each redaction pass: the values of secret settings and the common secret shapes (tokens, keys, URL passwords). */
  readonly redaction: readonly RedactionRun[];
}

/** Writes the bundle (spec.json first), redacting every file; the file appears only when complete. */
export async function writeSupportBundle(output: string, spec: SupportSpec, files: readonly CollectedFile[], secrets: readonly string[]): Promise<void> {
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(tmp, { mode: 0o600 }));
  try {
    for (const f of [{ path: SPEC_PATH, text: `${JSON.stringify(spec, null, 2)}\n` }, ...files]) {
      const body = Buffer.from(f.path === SPEC_PATH ? f.text : new LineRedactor(secrets).text(f.text));
      await new Promise<void>((resolve, reject) => pack.entry({ name: f.path, size: body.length, mode: 0o600, mtime: FIXED_MTIME }, body, (e) => (e ? reject(e) : resolve())));
    }
    pack.finalize();
    await done;
    await rename(tmp, output);
  } catch (e) {
    pack.destroy();
    await done.catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Reads a bundle's spec and files (bounded); a file that is not a support bundle is a one-line error. */
export async function readSupportBundle(file: string): Promise<{ spec: SupportSpec; files: CollectedFile[] }> {
  const extract = tar.extract();
  const files: CollectedFile[] = [];
  let total = 0;
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (data: unknown) => {
      const c = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
      total += c.length;
      if (total > MAX_READ_BYTES) stream.destroy(new SkiffError('INVALID_INPUT', `${file} unpacks to more than ${MAX_READ_BYTES} bytes: not a support bundle`));
      else chunks.push(c);
    });
    stream.on('end', () => {
      if (header.type === 'file') files.push({ path: header.name, text: Buffer.concat(chunks).toString('utf8') });
      next();
    });
    stream.on('error', next);
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), extract);
  } catch (e) {
    if (e instanceof SkiffError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SkiffError(code === 'ENOENT' ? 'USAGE' : 'INVALID_INPUT', code === 'ENOENT' ? `cannot read ${file}: no such file` : `${file} is not a support bundle (not a gzipped tar): pass the .tar.gz skiff agent support-bundle wrote`, { cause: e });
  }
  const specFile = files.find((f) => f.path === SPEC_PATH);
  if (!specFile) throw new SkiffError('INVALID_INPUT', `${file} has no ${SPEC_PATH}: not a support bundle written by skiff agent support-bundle`);
  let spec: SupportSpec;
  try {
    spec = JSON.parse(specFile.text) as SupportSpec;
  } catch {
    throw new SkiffError('INVALID_INPUT', `${file}: its ${SPEC_PATH} is not JSON; the bundle is damaged`);
  }
  if (spec.schema !== 'skiff-support-bundle/1' || !Array.isArray(spec.redaction)) throw new SkiffError('INVALID_INPUT', `${file}: its ${SPEC_PATH} is not a support bundle spec (schema skiff-support-bundle/1)`);
  return { spec, files: files.filter((f) => f !== specFile) };
}

/** Runs redaction again over an existing bundle (newer shapes, or more secret values) into a new file. */
export async function redactSupportBundle(input: string, output: string, secrets: readonly string[], now = new Date()): Promise<SupportSpec> {
  const { spec, files } = await readSupportBundle(input);
  const again: SupportSpec = { ...spec, redaction: [...spec.redaction, { at: now.toISOString(), secretValues: secrets.length }] };
  await writeSupportBundle(output, again, files, secrets);
  return again;
}
