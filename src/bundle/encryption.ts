// Bundles encrypted to a customer's X25519 key in the age format: each blob entry is an age file (`<digest>.age`),
// while the trust chain, release and signature stay readable so the signature is checked before anything decrypts.
// Age authenticates every 64 KiB chunk (a tampered ciphertext fails there); the plaintext is still hashed as always.
import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { Digest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';

export const ENCRYPTION_SCHEME = 'age';
export { ENCRYPTED_BLOB_ENTRY_RE, BlobDecrypter, readIdentityFile } from './decryption.ts';
export const encryptedBlobEntry = (d: Digest): string => `blobs/sha256/${d.slice(7)}.age`;

/** Streams age emits and reads, seen from Node: byte chunks. */
const toWeb = (source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> => ReadableStream.from(source);

const shown = (r: string): string => (r.length > 80 ? `${r.slice(0, 80)}…` : r);

/** Adds one recipient, checked: USAGE naming `what` (the flag or field it came from) when it is not an age X25519 key. */
function addRecipient(e: Encrypter, r: string, what: string): void {
  if (!/^age1[0-9a-z]{58}$/.test(r)) throw new SkiffError('USAGE', `${what} ${shown(r)} is not an age X25519 recipient (age1… as skiff bundle keygen or age-keygen prints it)`);
  try {
    e.addRecipient(r);
  } catch (err) {
    throw new SkiffError('USAGE', `${what} ${shown(r)} is not a valid age recipient (${(err as Error).message}); copy it again from skiff bundle keygen's output`, { cause: err });
  }
}

/** Checks a recipient given anywhere (a flag, a hub request body) the way bundle encryption will use it. */
export function checkRecipient(recipient: string, what: string): void {
  addRecipient(new Encrypter(), recipient, what);
}

/** Encrypts blobs to a fixed set of recipients; every blob gets its own file key (the age format's own). */
export class BlobEncrypter {
  readonly #recipients: readonly string[];
  readonly #sizeOf: (plainSize: number) => number;

  private constructor(recipients: readonly string[], sizeOf: (n: number) => number) {
    this.#recipients = recipients;
    this.#sizeOf = sizeOf;
  }

  /** Checks each recipient (`age1…`); USAGE naming the first that is not one. */
  static async create(recipients: readonly string[]): Promise<BlobEncrypter> {
    const e = BlobEncrypter.#encrypter(recipients);
    // The ciphertext size depends only on the plaintext size and the recipients: learn it from an empty file.
    const probe = await e.encrypt(toWeb((async function* () {})()) as globalThis.ReadableStream<Uint8Array>);
    await probe.cancel();
    return new BlobEncrypter(recipients, (n) => probe.size(n));
  }

  static #encrypter(recipients: readonly string[]): Encrypter {
    const e = new Encrypter();
    for (const r of recipients) addRecipient(e, r, '--recipient');
    return e;
  }

  /** The size of a blob's age file, header included. */
  ciphertextSize(plainSize: number): number {
    return this.#sizeOf(plainSize);
  }

  async encrypt(plain: AsyncIterable<Uint8Array>): Promise<Readable> {
    const out = await BlobEncrypter.#encrypter(this.#recipients).encrypt(toWeb(plain) as globalThis.ReadableStream<Uint8Array>);
    return Readable.from(out as unknown as AsyncIterable<Uint8Array>, { objectMode: false });
  }
}

/** A new X25519 identity file's text and its recipient, for `skiff bundle keygen`. */
export async function newIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}
