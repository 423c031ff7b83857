// An offline OSV database: a directory of OSV JSON records, or a .zip of them (as osv.dev publishes per ecosystem),
// read once into memory and indexed by ecosystem and package name.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { SkiffError } from '../util/index.ts';

const Event = z.object({ introduced: z.string().optional(), fixed: z.string().optional(), last_affected: z.string().optional(), limit: z.string().optional() });
const Severity = z.object({ type: z.string(), score: z.string() });
const Specific = z.object({ severity: z.unknown().optional() }).passthrough().optional();

const Affected = z.object({
  package: z.object({ ecosystem: z.string(), name: z.string(), purl: z.string().optional() }).optional(),
  ranges: z.array(z.object({ type: z.string(), events: z.array(Event) })).optional(),
  versions: z.array(z.string()).optional(),
  severity: z.array(Severity).optional(),
  ecosystem_specific: Specific,
  database_specific: Specific,
});

export const OsvRecordSchema = z.object({
  id: z.string().min(1),
  summary: z.string().optional(),
  details: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  withdrawn: z.string().optional(),
  affected: z.array(Affected).optional(),
  severity: z.array(Severity).optional(),
  database_specific: Specific,
});

export type OsvRecord = z.infer<typeof OsvRecordSchema>;
export type OsvAffected = z.infer<typeof Affected>;

export interface OsvDatabase {
  readonly records: number;
  /** sha256 over the records' file names and bytes, in name order: which database a scan used. */
  readonly digest: string;
  /** Records naming `ecosystem` (its base, before any `:`) and package `name`. */
  lookup(ecosystem: string, name: string): readonly OsvRecord[];
}

/** PyPI names compare normalised (PEP 503); others as written. */
export const normalName = (ecosystem: string, name: string): string =>
  ecosystem.startsWith('PyPI') ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;

const key = (ecosystem: string, name: string): string => `${ecosystem.split(':')[0] ?? ''}\0${normalName(ecosystem, name)}`;

async function jsonFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await jsonFiles(p)));
    else if (e.isFile() && e.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

async function unzipTo(file: string, dir: string): Promise<void> {
  try {
    await promisify(execFile)('unzip', ['-qq', '-o', file, '-d', dir], { maxBuffer: 1 << 20 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SkiffError('USAGE', `cannot open ${file}: reading a .zip needs the unzip program (apt-get install unzip), or pass a directory of OSV JSON files to --db`, { cause: e });
    throw new SkiffError('INVALID_INPUT', `${file} is not a readable zip: ${(e as Error).message.split('\n')[0] ?? ''}`, { cause: e });
  }
}

/** Records read at once: they are small and many (tens of thousands in a real database). */
const READ_BATCH = 64;

/** Builds the index record by record, in file-name order (so the database digest is stable). */
class OsvIndex {
  readonly #index = new Map<string, OsvRecord[]>();
  readonly #hash = createHash('sha256');
  #records = 0;
  readonly #source: string;
  constructor(source: string) {
    this.#source = source;
  }

  add(name: string, bytes: Buffer): void {
    this.#hash.update(`${name}\0${bytes.length}\0`).update(bytes);
    let parsed;
    try {
      parsed = OsvRecordSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    } catch {
      throw new SkiffError('INVALID_INPUT', `OSV database ${this.#source}: ${name} is not JSON`);
    }
    if (!parsed.success)
      throw new SkiffError('INVALID_INPUT', `OSV database ${this.#source}: ${name}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'is not an OSV record'}`.trim());
    this.#records++;
    if (parsed.data.withdrawn) return;
    const seen = new Set<string>();
    for (const a of parsed.data.affected ?? []) {
      if (!a.package) continue;
      const k = key(a.package.ecosystem, a.package.name);
      if (seen.has(k)) continue;
      seen.add(k);
      const list = this.#index.get(k) ?? [];
      list.push(parsed.data);
      this.#index.set(k, list);
    }
  }

  database(): OsvDatabase {
    if (this.#records === 0)
      throw new SkiffError('INVALID_INPUT', `OSV database ${this.#source} holds no .json records: pass the zip osv.dev publishes (e.g. Debian/all.zip) or a directory of its records`);
    const index = this.#index;
    return { records: this.#records, digest: `sha256:${this.#hash.digest('hex')}`, lookup: (ecosystem, name) => index.get(key(ecosystem, name)) ?? [] };
  }
}

/** Loads `--db`: a directory of OSV JSON files, or a .zip of them. A malformed record is an error naming the file. */
export async function loadOsvDatabase(source: string): Promise<OsvDatabase> {
  const info = await stat(source).catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', `cannot read the OSV database ${source}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; pass a .zip or a directory of OSV JSON files`);
  });
  let dir = source;
  let temp: string | undefined;
  if (!info.isDirectory()) {
    temp = await mkdtemp(path.join(os.tmpdir(), 'skiff-osv-'));
    dir = temp;
  }
  try {
    if (temp) await unzipTo(source, temp);
    const index = new OsvIndex(source);
    const files = await jsonFiles(dir);
    for (let at = 0; at < files.length; at += READ_BATCH) {
      const batch = files.slice(at, at + READ_BATCH);
      const contents = await Promise.all(batch.map((f) => readFile(f)));
      for (const [i, file] of batch.entries()) index.add(path.relative(dir, file), contents[i] ?? Buffer.alloc(0));
    }
    return index.database();
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}
