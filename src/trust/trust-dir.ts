// The vendor's trust directory: create it, rotate its keys, and load it to sign releases (layout in trust-files.ts).
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SkiffError } from '../util/index.ts';
import { canonicalBytes } from './canonical-json.ts';
import { generateSigningKey, privateKeyPem, signBytes, type SigningKey } from './keys.ts';
import { keysFileOf, loadRoleKeys, loadState, writeKeys, writeRoot } from './trust-files.ts';
import type { PublicKeyEntry, RoleKeys, RootMeta, RootSigned, SignatureEnvelope, TrustDir } from './types.ts';
import { walkRootChain } from './verify.ts';

const DAY_MS = 86_400_000;

class FsTrustDir implements TrustDir {
  readonly dir: string;
  readonly chain: readonly RootMeta[];
  readonly root: RootMeta;
  readonly #releaseKeys: readonly SigningKey[];
  readonly #timestampKeys: () => Promise<readonly SigningKey[]>;

  constructor(dir: string, chain: readonly RootMeta[], releaseKeys: readonly SigningKey[], timestampKeys: () => Promise<readonly SigningKey[]>) {
    const root = chain[chain.length - 1];
    if (!root) throw new SkiffError('TRUST_INVALID', `${dir} holds no roots: run \`skiff trust init\``);
    this.dir = dir;
    this.chain = chain;
    this.root = root;
    this.#releaseKeys = releaseKeys;
    this.#timestampKeys = timestampKeys;
  }

  signRelease(bytes: Uint8Array): SignatureEnvelope {
    return { signatures: this.#releaseKeys.map((k) => signBytes(k.privateKey, bytes)) };
  }

  async timestampKeyPem(): Promise<string | undefined> {
    const [key] = await this.#timestampKeys();
    return key && privateKeyPem(key);
  }
}

function checkExpiresDays(days: number | undefined): number {
  const value = days ?? 365;
  if (!Number.isFinite(value) || value <= 0) {
    throw new SkiffError('INVALID_INPUT', `expiry of ${value} days is not a positive number: pass e.g. 365`);
  }
  return value;
}

function roleOf(keys: readonly SigningKey[], threshold: number): RoleKeys {
  return { keyids: keys.map((k) => k.keyid), threshold };
}

function signRoot(signed: RootSigned, signers: readonly SigningKey[]): RootMeta {
  const bytes = canonicalBytes(signed);
  const distinct = [...new Map(signers.map((k) => [k.keyid, k])).values()];
  return { signed, signatures: distinct.map((k) => signBytes(k.privateKey, bytes)) };
}

export async function initTrust(
  dir: string,
  opts: { expiresDays?: number; releaseThreshold?: number } = {},
): Promise<TrustDir> {
  const expiresDays = checkExpiresDays(opts.expiresDays);
  const releaseThreshold = opts.releaseThreshold ?? 1;
  if (!Number.isInteger(releaseThreshold) || releaseThreshold < 1) {
    throw new SkiffError(
      'INVALID_INPUT',
      `release threshold ${releaseThreshold} is not a whole number of at least 1`,
    );
  }
  const existing = await readFile(join(dir, 'root.json')).then(
    () => true,
    () => false,
  );
  if (existing) {
    throw new SkiffError(
      'CONFLICT',
      `${dir} already holds a root.json: use \`skiff trust rotate --dir ${dir}\` to change its keys`,
    );
  }
  const rootKey = generateSigningKey();
  const releaseKeys = Array.from({ length: releaseThreshold }, generateSigningKey);
  const timestampKey = generateSigningKey();
  const keys: Record<string, PublicKeyEntry> = {};
  for (const k of [rootKey, ...releaseKeys, timestampKey]) keys[k.keyid] = k.publicEntry;
  const signed: RootSigned = {
    _type: 'root',
    version: 1,
    expires: new Date(Date.now() + expiresDays * DAY_MS).toISOString(),
    keys,
    roles: { root: roleOf([rootKey], 1), release: roleOf(releaseKeys, releaseThreshold), timestamp: roleOf([timestampKey], 1) },
  };
  const root = signRoot(signed, [rootKey]);
  await mkdir(dir, { recursive: true });
  await writeKeys(dir, 'root', [rootKey]);
  await writeKeys(dir, 'release', releaseKeys);
  await writeKeys(dir, 'timestamp', [timestampKey]);
  await writeRoot(dir, root, keysFileOf([rootKey], releaseKeys, [timestampKey]));
  return new FsTrustDir(dir, [root], releaseKeys, async () => [timestampKey]);
}

/** A file where the trust dir is wanted (often its root.json): name the directory to pass, not `trust init` on a file. */
async function requireDirectory(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (!s || s.isDirectory()) return;
  const parent = dirname(dir);
  const isRootOfDir = basename(dir) === 'root.json' && (await stat(join(parent, 'roots')).then((r) => r.isDirectory(), () => false));
  throw new SkiffError(
    'USAGE',
    isRootOfDir
      ? `${dir} is the root.json of a trust directory; give the directory itself, which also holds the signing keys: ${parent}`
      : `${dir} is a file, not a trust directory: pass the directory \`skiff trust init --dir DIR\` made (it holds root.json, roots/ and keys/)`,
  );
}

/** Loads a trust dir for signing releases; root private keys are not needed (they may be kept offline). */
export async function loadTrustDir(dir: string): Promise<TrustDir> {
  await requireDirectory(dir);
  const { chain, latest, refs } = await loadState(dir);
  return new FsTrustDir(dir, chain, await loadRoleKeys(dir, refs, 'release', latest.signed), () => loadRoleKeys(dir, refs, 'timestamp', latest.signed));
}

/**
 * Writes root N+1 with a new root key and/or new release keys (revoking the old ones), signed by root N's and its own
 * root keys. The timestamp key is replaced when `timestamp` is true, and added when root N has none.
 */
export async function rotateTrust(
  dir: string,
  opts: { root?: boolean; release?: boolean; timestamp?: boolean; expiresDays?: number } = {},
): Promise<TrustDir> {
  const expiresDays = checkExpiresDays(opts.expiresDays);
  await requireDirectory(dir);
  const { chain, latest, refs } = await loadState(dir);
  const cur = latest.signed;
  const oldRootKeys = await loadRoleKeys(dir, refs, 'root', cur);
  const oldReleaseKeys = await loadRoleKeys(dir, refs, 'release', cur);
  const newTimestamp = opts.timestamp === true || !cur.roles.timestamp;
  const timestampKeys = newTimestamp ? [generateSigningKey()] : await loadRoleKeys(dir, refs, 'timestamp', cur);
  const rootKeys = opts.root === false ? oldRootKeys : [generateSigningKey()];
  const releaseKeys =
    opts.release === false
      ? oldReleaseKeys
      : Array.from({ length: cur.roles.release.threshold }, generateSigningKey);
  const roles = {
    root: opts.root === false ? cur.roles.root : roleOf(rootKeys, 1),
    release: opts.release === false ? cur.roles.release : roleOf(releaseKeys, cur.roles.release.threshold),
    timestamp: newTimestamp ? roleOf(timestampKeys, 1) : (cur.roles.timestamp ?? roleOf(timestampKeys, 1)),
  };
  const keys: Record<string, PublicKeyEntry> = {};
  for (const keyid of [...roles.root.keyids, ...roles.release.keyids, ...roles.timestamp.keyids]) {
    const entry =
      cur.keys[keyid] ?? [...rootKeys, ...releaseKeys, ...timestampKeys].find((k) => k.keyid === keyid)?.publicEntry;
    if (entry) keys[keyid] = entry;
  }
  const signed: RootSigned = {
    _type: 'root',
    version: cur.version + 1,
    expires: new Date(Date.now() + expiresDays * DAY_MS).toISOString(),
    keys,
    roles,
  };
  const next = signRoot(signed, [...oldRootKeys, ...rootKeys]);
  walkRootChain([next], latest);
  await writeKeys(dir, 'root', rootKeys);
  await writeKeys(dir, 'release', releaseKeys);
  await writeKeys(dir, 'timestamp', timestampKeys);
  await writeRoot(dir, next, keysFileOf(rootKeys, releaseKeys, timestampKeys));
  return new FsTrustDir(dir, [...chain, next], releaseKeys, async () => timestampKeys);
}
