// The build information a Go binary carries (Go 1.18+): a 32-byte header starting "\xff Go buildinf:" whose flags byte
// has 0x2 set, then two varint-length strings, the Go version and the module info ("path", "mod", "dep", "=>" lines).
import type { CatalogPackage } from './catalog.ts';

export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_BYTES = 32;
/** Flags bit: the strings are inline after the header (Go 1.18+), not pointers into the data section. */
const FLAG_INLINE_STRINGS = 0x2;
/** Sentinels of 16 bytes each that wrap the module info (runtime/debug's modinfo). */
const MODINFO_SENTINEL_BYTES = 16;
/** A build-info string is a version or a module list: far smaller than this. */
const MAX_STRING_BYTES = 4 << 20;

export const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');

/** A uvarint-prefixed string at `at`: its bytes and where it ends; 'short' when the buffer ends first, 'bad' when too long. */
function readString(buf: Buffer, at: number): { bytes: Buffer; end: number } | 'short' | 'bad' {
  let length = 0;
  let shift = 0;
  for (let i = at; i < buf.length; i++, shift += 7) {
    if (shift >= 35) return 'bad';
    const b = buf[i] ?? 0;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      const start = i + 1;
      if (length > MAX_STRING_BYTES) return 'bad';
      return start + length > buf.length ? 'short' : { bytes: buf.subarray(start, start + length), end: start + length };
    }
  }
  return 'short';
}

/** The build-info blob starting at `buf[0]` (file offset `offset`), as the Go linker writes it: 16-aligned, pointer size 4 or 8, the inline flag, zero padding. */
function decodeAt(buf: Buffer, offset: number): Buffer | 'short' | 'bad' {
  if (offset % 16 !== 0) return 'bad';
  if (buf.length < HEADER_BYTES) return 'short';
  if ((buf[14] !== 4 && buf[14] !== 8) || ((buf[15] ?? 0) & FLAG_INLINE_STRINGS) === 0 || buf.subarray(16, HEADER_BYTES).some((b) => b !== 0)) return 'bad';
  const version = readString(buf, HEADER_BYTES);
  if (typeof version === 'string') return version;
  const mod = readString(buf, version.end);
  return typeof mod === 'string' ? mod : buf.subarray(0, mod.end);
}

/**
 * Finds the build info in a file fed chunk by chunk, holding only a few bytes, or from the magic on until the blob is
 * whole. Older Go (< 1.18) keeps pointers instead of inline strings; such binaries have none found.
 */
export class GoBuildInfoScanner {
  #window: Buffer = Buffer.alloc(0);
  /** The file offset of `#window[0]`. */
  #offset = 0;
  #found: Buffer | undefined;

  push(chunk: Buffer): void {
    if (this.#found) return;
    const magic = GO_BUILDINFO_MAGIC;
    // Only a short tail is kept between chunks (no candidate): the chunk itself is searched unless a magic straddles the edge.
    if (this.#window.length < magic.length && chunk.length >= magic.length - 1 && !Buffer.concat([this.#window, chunk.subarray(0, magic.length - 1)]).includes(magic)) {
      this.#offset += this.#window.length;
      this.#window = chunk;
    } else this.#window = Buffer.concat([this.#window, chunk]);
    for (;;) {
      const i = this.#window.indexOf(GO_BUILDINFO_MAGIC);
      if (i < 0) {
        // Keep what could be the start of a magic split across chunks (copied: not the whole chunk).
        const keep = Math.min(this.#window.length, GO_BUILDINFO_MAGIC.length - 1);
        this.#offset += this.#window.length - keep;
        this.#window = Buffer.from(this.#window.subarray(this.#window.length - keep));
        return;
      }
      const candidate = this.#window.subarray(i);
      const r = decodeAt(candidate, this.#offset + i);
      if (r === 'short' && candidate.length <= HEADER_BYTES + 2 * (MAX_STRING_BYTES + 8)) {
        this.#offset += i;
        this.#window = candidate;
        return;
      }
      if (r === 'short' || r === 'bad') {
        this.#offset += i + 1;
        this.#window = candidate.subarray(1);
        continue;
      }
      this.#found = Buffer.from(r);
      this.#window = Buffer.alloc(0);
      return;
    }
  }

  /** The build-info blob (header and both strings), once found. */
  get found(): Buffer | undefined {
    return this.#found;
  }
}

/** The build-info blob of a whole file, or undefined when it has none in the inline format. */
export function findGoBuildInfo(file: Buffer): Buffer | undefined {
  const scanner = new GoBuildInfoScanner();
  scanner.push(file);
  return scanner.found;
}

export const isGoBuildInfo = (bytes: Buffer): boolean => bytes.subarray(0, GO_BUILDINFO_MAGIC.length).equals(GO_BUILDINFO_MAGIC);

interface GoModule {
  path: string;
  version: string;
}

/** The modules of a build-info blob (from findGoBuildInfo) found at `path`: the main module, its deps and the stdlib. */
export function goPackages(path: string, blob: Buffer): CatalogPackage[] {
  const version = readString(blob, HEADER_BYTES);
  const mod = typeof version === 'string' ? version : readString(blob, version.end);
  if (typeof version === 'string' || typeof mod === 'string') return [];
  let info = mod.bytes.toString('utf8');
  // runtime/debug's own check: the module info is framed by sentinels, the text before the end one ends in a newline.
  if (info.length >= 2 * MODINFO_SENTINEL_BYTES + 1 && mod.bytes[mod.bytes.length - MODINFO_SENTINEL_BYTES - 1] === 0x0a)
    info = mod.bytes.subarray(MODINFO_SENTINEL_BYTES, mod.bytes.length - MODINFO_SENTINEL_BYTES).toString('utf8');
  const modules: GoModule[] = [];
  let last: GoModule | undefined;
  for (const line of info.split('\n')) {
    const [kind, modPath, modVersion] = line.split('\t');
    if ((kind === 'mod' || kind === 'dep') && modPath && modVersion) modules.push((last = { path: modPath, version: modVersion }));
    // A replacement (`=> path version sum`) is what was built; a local-directory one has no version and keeps the original.
    else if (kind === '=>' && last && modPath && modVersion) Object.assign(last, { path: modPath, version: modVersion });
  }
  const out: CatalogPackage[] = modules
    .filter((m) => m.version !== '(devel)')
    .map((m) => ({ type: 'golang' as const, name: m.path, version: m.version, licenses: [], path }));
  // "go1.22.3" (or "go1.22.3 X:boringcrypto"): the standard library, as OSV's Go ecosystem names it.
  const goVersion = /^go(\d+\.\d+(?:\.\d+)?)/.exec(version.bytes.toString('utf8'))?.[1];
  if (goVersion) out.push({ type: 'golang', name: 'stdlib', version: goVersion, licenses: ['BSD-3-Clause'], path });
  return out;
}
