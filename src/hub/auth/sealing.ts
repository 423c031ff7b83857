// Secrets at rest: the hub seals what it must keep but never show (an app's timestamp key, secret site values) with
// AES-256-GCM under the hub's own key, bound to what the secret is for (so a sealed value cannot be moved elsewhere).
//
// The key is 32 random bytes, base64, from SKIFF_HUB_KEY or <data>/hub.key (mode 0600, made by hub init, or by the
// first serve of an older data dir). Hub replicas must be given the same key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError, errorMessage, fsErrorMessage } from '../../util/index.ts';

export const HUB_KEY_FILE = 'hub.key';

export class Sealer {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SkiffError('USAGE', `the hub key has ${key.length} bytes, not 32: restore ${HUB_KEY_FILE} or SKIFF_HUB_KEY from your backup`);
    this.#key = key;
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(context));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  unseal(sealed: string, context: string): string {
    const [v, iv, tag, body] = sealed.split(':');
    try {
      if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
      const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64')).setAAD(Buffer.from(context)).setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
    } catch (e) {
      throw new SkiffError('INTERNAL', `a sealed secret (${context}) cannot be opened: this hub has another key than the one that sealed it (give every replica the same ${HUB_KEY_FILE} or SKIFF_HUB_KEY)`, { cause: e });
    }
  }
}

/** The hub's key: SKIFF_HUB_KEY, else <data>/hub.key, made (0600) when missing. */
export async function loadHubKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Sealer> {
  if (env.SKIFF_HUB_KEY) return new Sealer(Buffer.from(env.SKIFF_HUB_KEY, 'base64'));
  const file = join(dataDir, HUB_KEY_FILE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw new SkiffError('USAGE', fsErrorMessage(e, "the hub's key", { path: file }) ?? `cannot read the hub's key ${file}: ${errorMessage(e)}`, { cause: e });
    return undefined;
  });
  if (text !== undefined) return new Sealer(Buffer.from(text.trim(), 'base64'));
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw new SkiffError('USAGE', fsErrorMessage(e, "the hub's key", { path: file }) ?? `cannot write the hub's key ${file}: ${errorMessage(e)}`, { cause: e });
  });
  return new Sealer(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'));
}
