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

/** A uvarint-prefixed string at `at`: its bytes and where it ends; undefined when it runs past the buffer. */
function readString(buf: Buffer, at: number): { bytes: Buffer; end: number } | undefined {
  let length = 0;
  let shift = 0;
  for (let i = at; i < buf.length && shift < 35; i++, shift += 7) {
    const b = buf[i] ?? 0;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      const start = i + 1;
      if (length > MAX_STRING_BYTES || start + length > buf.length) return undefined;
      return { bytes: buf.subarray(start, start + length), end: start + length };
    }
  }
  return undefined;
}

/**
 * The build-info blob of a binary (header and both strings, copied out), or undefined when it has none in the
 * inline format. Older Go (< 1.18) keeps pointers instead; such binaries are not listed.
 */
export function findGoBuildInfo(file: Buffer): Buffer | undefined {
  for (let at = file.indexOf(GO_BUILDINFO_MAGIC); at >= 0; at = file.indexOf(GO_BUILDINFO_MAGIC, at + 1)) {
    if (at + HEADER_BYTES > file.length || ((file[at + 15] ?? 0) & FLAG_INLINE_STRINGS) === 0) continue;
    const version = readString(file, at + HEADER_BYTES);
    const mod = version && readString(file, version.end);
    if (mod) return Buffer.from(file.subarray(at, mod.end));
  }
  return undefined;
}

export const isGoBuildInfo = (bytes: Buffer): boolean => bytes.subarray(0, GO_BUILDINFO_MAGIC.length).equals(GO_BUILDINFO_MAGIC);

interface GoModule {
  path: string;
  version: string;
}

/** The modules of a build-info blob (from findGoBuildInfo) found at `path`: the main module, its deps and the stdlib. */
export function goPackages(path: string, blob: Buffer): CatalogPackage[] {
  const version = readString(blob, HEADER_BYTES);
  const mod = version && readString(blob, version.end);
  if (!version || !mod) return [];
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
