// An offline OSV database: a directory of OSV JSON records, or a .zip of them (as osv.dev publishes per ecosystem),
// read once into memory and indexed by ecosystem and package name.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { readZipJsonEntries } from './osv-zip.ts';

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
  /** sha256 over the records' file names, sizes and sha256s, in name order: which database a scan used. */
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

/** Records read at once: they are small and many (tens of thousands in a real database). */
const READ_BATCH = 64;

interface ParsedRecord {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** Undefined for a withdrawn record: counted and hashed, never matched. */
  readonly record: OsvRecord | undefined;
}

/** Parses records as they come (a zip's order is its own) and builds the index in file-name order, so the digest is stable. */
class OsvIndex {
  readonly #parsed: ParsedRecord[] = [];
  readonly #source: string;
  constructor(source: string) {
    this.#source = source;
  }

  add(name: string, bytes: Buffer): void {
    let parsed;
    try {
      parsed = OsvRecordSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    } catch {
      throw new SkiffError('INVALID_INPUT', `OSV database ${this.#source}: ${name} is not JSON`);
    }
    if (!parsed.success)
      throw new SkiffError('INVALID_INPUT', `OSV database ${this.#source}: ${name}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'is not an OSV record'}`.trim());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    this.#parsed.push({ name, size: bytes.length, sha256, record: parsed.data.withdrawn ? undefined : parsed.data });
  }

  database(): OsvDatabase {
    if (this.#parsed.length === 0)
      throw new SkiffError('INVALID_INPUT', `OSV database ${this.#source} holds no .json records: pass the zip osv.dev publishes (e.g. Debian/all.zip) or a directory of its records`);
    const index = new Map<string, OsvRecord[]>();
    const hash = createHash('sha256');
    for (const p of [...this.#parsed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      hash.update(`${p.name}\0${p.size}\0${p.sha256}\n`);
      if (!p.record) continue;
      const seen = new Set<string>();
      for (const a of p.record.affected ?? []) {
        if (!a.package) continue;
        const k = key(a.package.ecosystem, a.package.name);
        if (seen.has(k)) continue;
        seen.add(k);
        const list = index.get(k) ?? [];
        list.push(p.record);
        index.set(k, list);
      }
    }
    return { records: this.#parsed.length, digest: `sha256:${hash.digest('hex')}`, lookup: (ecosystem, name) => index.get(key(ecosystem, name)) ?? [] };
  }
}

/** Loads `--db`: a directory of OSV JSON files, or a .zip of them. A malformed record is an error naming the file. */
export async function loadOsvDatabase(source: string): Promise<OsvDatabase> {
  const info = await stat(source).catch((e: unknown) => {
    const fix = 'pass a .zip or a directory of OSV JSON files';
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the OSV database', { path: source, fix }) ?? `cannot read the OSV database ${source}: ${errorMessage(e)}; ${fix}`, { cause: e });
  });
  const index = new OsvIndex(source);
  if (!info.isDirectory()) {
    await readZipJsonEntries(source, (name, bytes) => index.add(name, bytes));
    return index.database();
  }
  const files = await jsonFiles(source);
  for (let at = 0; at < files.length; at += READ_BATCH) {
    const batch = files.slice(at, at + READ_BATCH);
    const contents = await Promise.all(batch.map((f) => readFile(f)));
    for (const [i, file] of batch.entries()) index.add(path.relative(source, file).split(path.sep).join('/'), contents[i] ?? Buffer.alloc(0));
  }
  return index.database();
}
