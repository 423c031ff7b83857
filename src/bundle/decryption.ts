// Decrypting the blob entries of a bundle encrypted to the customer's age key. age-encryption (and its @noble
// dependencies) loads on the first encrypted blob: reading a plain bundle, as `bundle verify` mostly does, starts without it.
import { readFile } from 'node:fs/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ReadableStreamWithSize } from 'age-encryption';
import type { Digest } from '../oci/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';

// The global class (node:stream/web's, typed from it): importing the module loaded Node's web streams at every start.
const toWeb = (source: AsyncIterable<Uint8Array>): WebReadableStream<Uint8Array> => (globalThis.ReadableStream as unknown as typeof WebReadableStream).from(source);

export const ENCRYPTED_BLOB_ENTRY_RE = /^blobs\/sha256\/([a-f0-9]{64})\.age$/;

/** Reads the identities (`AGE-SECRET-KEY-1…`, one a line, `#` comments) of an age identity file. */
export async function readIdentityFile(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the identity file', { path: file }) ?? `cannot read the identity file ${file}: ${errorMessage(e)}`, { cause: e });
  });
  const keys = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (keys.length === 0 || keys.some((k) => !k.startsWith('AGE-SECRET-KEY-1')))
    throw new SkiffError('USAGE', `${file} is not an age identity file: it must hold AGE-SECRET-KEY-1… lines (skiff bundle keygen writes one)`);
  return keys;
}

const decryptFailed = (digest: Digest, why: string, cause: unknown) =>
  new SkiffError('DECRYPT_FAILED', `blob ${digest} of the bundle does not decrypt (${why})`, { cause });

/** Decrypts blob entries with the customer's identities. */
export class BlobDecrypter {
  readonly #identities: readonly string[];
  constructor(identities: readonly string[]) {
    this.#identities = identities;
  }

  /** The plaintext of one `.age` entry of `cipherSize` bytes, and its size; failures are DECRYPT_FAILED naming the blob. */
  async open(entry: AsyncIterable<Uint8Array>, cipherSize: number, digest: Digest): Promise<{ data: AsyncIterable<Uint8Array>; size: number }> {
    const { Decrypter } = await import('age-encryption');
    const d = new Decrypter();
    for (const id of this.#identities) d.addIdentity(id);
    let plain: ReadableStreamWithSize;
    try {
      plain = await d.decrypt(toWeb(entry) as globalThis.ReadableStream<Uint8Array>);
    } catch (e) {
      const msg = (e as Error).message;
      if (/no identity matched/i.test(msg))
        throw new SkiffError('DECRYPT_FAILED', `this bundle is encrypted to another key: none of the identities given decrypts blob ${digest}; pass --identity with the key the bundle was made for`, { cause: e });
      throw decryptFailed(digest, `its age header is damaged: ${msg}`, e);
    }
    let size: number;
    try {
      size = plain.size(cipherSize);
    } catch (e) {
      throw decryptFailed(digest, `its ${cipherSize} bytes cannot be an age file`, e);
    }
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const c of plain as unknown as AsyncIterable<Uint8Array>) yield c;
      } catch (e) {
        throw decryptFailed(digest, 'its ciphertext was altered or damaged; ask the vendor for an intact copy', e);
      }
    }
    return { data: chunks(), size };
  }
}
