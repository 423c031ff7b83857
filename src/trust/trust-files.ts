// The trust directory on disk: reading and writing its files, and checking they agree with each other.
//
//   <dir>/root.json                 the latest root (what agents and hubs are given with --trust)
//   <dir>/roots/root.<n>.json       every root from version 1 (the rotation chain bundles carry)
//   <dir>/keys/root-<id8>.pem       PKCS8 private keys, mode 0600, directory 0700
//   <dir>/keys/release-<id8>.pem
//   <dir>/keys/timestamp-<id8>.pem  the online key the hub holds to sign desired state
//   <dir>/keys.json                 which key files are current for each role
import { chmod, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { SkiffError, errorMessage, fsErrorMessage, writeFileAtomic } from '../util/index.ts';
import { canonicalJson } from './canonical-json.ts';
import { privateKeyPem, sameKeyId, signingKeyFromPem, type SigningKey } from './keys.ts';
import { parseRoot, serializeRoot } from './parse.ts';
import type { RoleName, RootMeta, RootSigned } from './types.ts';
import { verifyRootSelfSigned, walkRootChain } from './verify.ts';

const ROOT_FILE = /^root\.([1-9][0-9]*)\.json$/;

const keyRefSchema = z.strictObject({
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  file: z.string().regex(/^keys\/(root|release|timestamp)-[0-9a-f]{8}\.pem$/),
});
const keysFileSchema = z.strictObject({ root: z.array(keyRefSchema), release: z.array(keyRefSchema), timestamp: z.array(keyRefSchema).default([]) });
export type KeysFile = z.infer<typeof keysFileSchema>;

const keyFile = (role: RoleName, key: SigningKey): string => `keys/${role}-${key.keyid.slice(0, 8)}.pem`;

async function readText(path: string, what: string, fix: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SkiffError(
      missing ? 'NOT_FOUND' : 'TRUST_INVALID',
      fsErrorMessage(e, undefined, { path, fix }) ?? `cannot read ${what} (${errorMessage(e)}): ${fix}`,
      { cause: e },
    );
  }
}

export async function writeKeys(dir: string, role: RoleName, keys: readonly SigningKey[]): Promise<void> {
  const keysDir = join(dir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  await chmod(keysDir, 0o700);
  for (const key of keys) await writeFileAtomic(join(dir, keyFile(role, key)), privateKeyPem(key), 0o600);
}

/** Writes a new latest root: its chain file first, then keys.json, then root.json. */
export async function writeRoot(dir: string, root: RootMeta, current: KeysFile): Promise<void> {
  const text = serializeRoot(root);
  await writeFileAtomic(join(dir, 'roots', `root.${root.signed.version}.json`), text);
  await writeFileAtomic(join(dir, 'keys.json'), JSON.stringify(current, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'root.json'), text);
}

export const keysFileOf = (
  rootKeys: readonly SigningKey[],
  releaseKeys: readonly SigningKey[],
  timestampKeys: readonly SigningKey[] = [],
): KeysFile => ({
  root: rootKeys.map((k) => ({ keyid: k.keyid, file: keyFile('root', k) })),
  release: releaseKeys.map((k) => ({ keyid: k.keyid, file: keyFile('release', k) })),
  timestamp: timestampKeys.map((k) => ({ keyid: k.keyid, file: keyFile('timestamp', k) })),
});

async function readChain(dir: string): Promise<RootMeta[]> {
  const rootsDir = join(dir, 'roots');
  const names = await readdir(rootsDir).catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', `${rootsDir} is missing: run \`skiff trust init --dir ${dir}\` first`, {
      cause: e,
    });
  });
  const versions = names
    .flatMap((n) => ROOT_FILE.exec(n)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
  const chain: RootMeta[] = [];
  for (const [i, version] of versions.entries()) {
    const what = `roots/root.${version}.json`;
    if (version !== i + 1)
      throw new SkiffError(
        'TRUST_INVALID',
        `${dir}: roots/root.${i + 1}.json is missing: restore it from your backup`,
      );
    const root = parseRoot(
      await readText(join(rootsDir, `root.${version}.json`), what, 'restore it from your backup'),
      what,
    );
    if (root.signed.version !== version) {
      throw new SkiffError(
        'TRUST_INVALID',
        `${what}: signed.version is ${root.signed.version}, not ${version}: restore it from your backup`,
      );
    }
    chain.push(root);
  }
  const first = chain[0];
  if (!first)
    throw new SkiffError(
      'NOT_FOUND',
      `${rootsDir} holds no root.<n>.json: run \`skiff trust init --dir ${dir}\` first`,
    );
  verifyRootSelfSigned(first);
  walkRootChain(chain, first);
  return chain;
}

async function readKeysFile(dir: string): Promise<KeysFile> {
  const text = await readText(join(dir, 'keys.json'), `${dir}/keys.json`, 'restore it from your backup');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SkiffError('TRUST_INVALID', `${dir}/keys.json is not valid JSON: restore it from your backup`, {
      cause: e,
    });
  }
  const result = keysFileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SkiffError(
      'TRUST_INVALID',
      `${dir}/keys.json: ${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return result.data;
}

/** Loads the current private keys of a role and checks they are what the latest root lists and enough to meet its threshold. */
export async function loadRoleKeys(
  dir: string,
  refs: KeysFile,
  role: RoleName,
  root: RootSigned,
): Promise<SigningKey[]> {
  const roleKeys = root.roles[role];
  if (!roleKeys) return [];
  const keys: SigningKey[] = [];
  for (const ref of refs[role]) {
    const key = signingKeyFromPem(
      await readText(join(dir, ref.file), ref.file, 'restore it from your key backup'),
      ref.file,
    );
    if (!sameKeyId(key.keyid, ref.keyid))
      throw new SkiffError(
        'TRUST_INVALID',
        `${ref.file} holds key ${key.keyid.slice(0, 8)}, not ${ref.keyid.slice(0, 8)} as keys.json says`,
      );
    if (!roleKeys.keyids.includes(key.keyid)) {
      throw new SkiffError(
        'TRUST_INVALID',
        `keys.json names ${ref.file}, which root version ${root.version} does not list as a ${role} key`,
      );
    }
    keys.push(key);
  }
  const need = roleKeys.threshold;
  if (keys.length < need) {
    throw new SkiffError(
      'TRUST_INVALID',
      `keys.json names ${keys.length} ${role} key(s) but root version ${root.version} requires ${need}: restore the missing keys`,
    );
  }
  return keys;
}

export interface LoadedState {
  readonly chain: readonly RootMeta[];
  readonly latest: RootMeta;
  readonly refs: KeysFile;
}

export async function loadState(dir: string): Promise<LoadedState> {
  const published = await readText(
    join(dir, 'root.json'),
    `${dir}/root.json`,
    `run \`skiff trust init --dir ${dir}\` first`,
  );
  const chain = await readChain(dir);
  const latest = chain[chain.length - 1];
  if (!latest || canonicalJson(parseRoot(published, 'root.json')) !== canonicalJson(latest)) {
    const n = latest?.signed.version ?? 0;
    throw new SkiffError(
      'TRUST_INVALID',
      `${dir}/root.json differs from roots/root.${n}.json: copy roots/root.${n}.json over root.json`,
    );
  }
  return { chain, latest, refs: await readKeysFile(dir) };
}
