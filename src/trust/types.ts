// The shapes of TUF-style trust metadata: root.json and signature envelopes.

export interface Signature {
  readonly keyid: string;
  /** base64 of the raw ed25519 signature */
  readonly sig: string;
}

export interface SignatureEnvelope {
  readonly signatures: readonly Signature[];
}

export interface RoleKeys {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

/** root (offline) signs roots; release (CI) signs releases; timestamp (online, held by the hub) signs desired-state answers. */
export type RoleName = 'root' | 'release' | 'timestamp';

export interface PublicKeyEntry {
  readonly keytype: 'ed25519';
  /** base64 of the SPKI DER public key */
  readonly public: string;
}

export interface RootSigned {
  readonly _type: 'root';
  readonly version: number;
  /** ISO 8601 date-time */
  readonly expires: string;
  readonly keys: Readonly<Record<string, PublicKeyEntry>>;
  /** `timestamp` is absent from roots made before connected sites; such an app cannot serve desired state. */
  readonly roles: { readonly root: RoleKeys; readonly release: RoleKeys; readonly timestamp?: RoleKeys };
}

export interface RootMeta {
  readonly signed: RootSigned;
  readonly signatures: readonly Signature[];
}

export interface TrustDir {
  readonly dir: string;
  /** root.1 .. root.N, in order */
  readonly chain: readonly RootMeta[];
  /** the latest root, chain[N-1] */
  readonly root: RootMeta;
  /** Signs release bytes with every current release key. */
  signRelease(bytes: Uint8Array): SignatureEnvelope;
  /** The PKCS8 PEM of the current timestamp key (for the hub, which signs desired state online); undefined if none. */
  timestampKeyPem(): Promise<string | undefined>;
}
