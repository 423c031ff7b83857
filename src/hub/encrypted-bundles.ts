// Bundles encrypted to a customer's key, written once and served from a file: age encryption is randomized, so a
// resumed download (Range + If-Range) must read the very bytes its head came from, and every request the same file.
//
//   <dir>/<customer id>/<key>.skiff              one bundle; key: sha256 of release, base, root chain and recipient
//   <dir>/<customer id>/.<key>.<random>.tmp      while it is written (hard-linked into place: the first one wins)
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle, type BundleSource } from '../bundle/index.ts';
import { blobReadBudget } from '../store/index.ts';
import { fsyncDir, SkiffError } from '../util/index.ts';

const CUSTOMER_ID_RE = /^[A-Za-z0-9-]{1,64}$/;
/** A temp file this old belongs to no build still running (a hub killed while writing): it is removed. */
const ABANDONED_MS = 3_600_000;

async function sweepAbandoned(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('.') || !name.endsWith('.tmp')) continue;
    const at = join(dir, name);
    const old = await stat(at).then((s) => Date.now() - s.mtimeMs > ABANDONED_MS, () => false);
    if (old) await rm(at, { force: true });
  }
}

/** The bases of a delta as one string for a cache key: a one-base delta's is its base's digest alone, as it always was. */
export function baseKey(src: BundleSource): string {
  return [src.base, ...(src.moreBases ?? [])].flatMap((b) => (b ? [b.digest] : [])).join('+');
}

export class EncryptedBundleCache {
  readonly #given: string | undefined;
  #own: Promise<string> | undefined;
  /** Builds in flight by file: concurrent requests for one bundle wait for the one build. */
  readonly #building = new Map<string, Promise<void>>();

  /** Without a directory (a hub built in a test), a private temp dir that close() removes. */
  constructor(dir?: string) {
    this.#given = dir;
  }

  /** Names the exact bytes: the same release, base, roots and recipient give the same file. */
  static key(src: BundleSource, recipient: string): string {
    const h = createHash('sha256').update(src.release.digest).update(`\0${baseKey(src)}\0`);
    for (const root of src.chain) h.update(createHash('sha256').update(root).digest());
    return h.update(`\0${recipient}`).digest('hex').slice(0, 40);
  }

  async #customerDir(customerId: string): Promise<string> {
    if (!CUSTOMER_ID_RE.test(customerId)) throw new SkiffError('INTERNAL', `customer id ${JSON.stringify(customerId.slice(0, 80))} cannot name a cache directory`);
    const root = this.#given ?? (await (this.#own ??= mkdtemp(join(tmpdir(), 'skiff-hub-bundles-'))));
    return join(root, customerId);
  }

  /** The bundle's file if it was built already (HEAD answers without building). */
  async existing(customerId: string, src: BundleSource, recipient: string): Promise<{ file: string; size: number } | undefined> {
    const file = join(await this.#customerDir(customerId), `${EncryptedBundleCache.key(src, recipient)}.skiff`);
    return stat(file).then((s) => ({ file, size: s.size }), () => undefined);
  }

  /** The bundle's file, built first when it is not there yet (once, however many ask at the same time). */
  async file(customerId: string, src: BundleSource, recipient: string): Promise<{ file: string; size: number }> {
    const dir = await this.#customerDir(customerId);
    const file = join(dir, `${EncryptedBundleCache.key(src, recipient)}.skiff`);
    for (;;) {
      const found = await stat(file).then((s) => s.size, () => undefined);
      if (found !== undefined) return { file, size: found };
      let build = this.#building.get(file);
      if (!build) {
        build = this.#build(dir, file, src, recipient).finally(() => this.#building.delete(file));
        this.#building.set(file, build);
      }
      await build;
    }
  }

  async #build(dir: string, file: string, src: BundleSource, recipient: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await sweepAbandoned(dir);
    const tmp = join(dir, `.${EncryptedBundleCache.key(src, recipient)}.${randomBytes(6).toString('hex')}.tmp`);
    const lease = blobReadBudget.lease();
    try {
      await writeBundle({ ...src, recipients: [recipient], chunkSize: lease.chunkSize }, createWriteStream(tmp, { mode: 0o600 }));
      const fh = await open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
      // A link, not a rename: a bundle another process published first stays the one every download reads.
      await link(tmp, file).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      });
      await fsyncDir(dir);
    } finally {
      lease.release();
      await rm(tmp, { force: true });
    }
  }

  /** Forgets every bundle of the customer (its key changed or was cleared). */
  async invalidate(customerId: string): Promise<void> {
    await rm(await this.#customerDir(customerId), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.#own) await rm(await this.#own, { recursive: true, force: true });
  }
}
