// The documented answers of a release's details and of the diff between two releases (the console's release view).
import { arr, BOOL, INT, obj, type Schema, STR, TIME } from './response-schemas-fleet.ts';

const ANY = {} as const;
const KIND = { type: 'string', enum: ['added', 'removed', 'changed'] } as const;
const LAYER = obj({ digest: STR, size: INT });
const IMAGE_SIDE = obj({ ref: STR, manifestDigest: STR, configDigest: STR, size: INT });

const DETAILS = obj({
  app: STR, version: STR, digest: STR, createdAt: TIME, changelog: STR, minAgentVersion: STR,
  images: arr(obj({ service: STR, ref: STR, manifestDigest: STR, platform: STR, compressedBytes: INT })),
  totalCompressedBytes: INT,
  settings: arr(obj({ name: STR, type: STR, required: BOOL, secret: BOOL })),
  signature: obj({ keyIds: arr(STR), verifiedAtPush: STR }),
  channels: arr(STR),
});

const DIFF = obj({
  app: STR,
  from: obj({ version: STR, digest: STR }),
  to: obj({ version: STR, digest: STR }),
  services: obj({ added: arr(STR), removed: arr(STR), changed: arr(STR) }),
  images: arr(obj({
    service: STR, status: { type: 'string', enum: ['added', 'removed', 'changed', 'unchanged'] }, imageChanged: BOOL,
    from: IMAGE_SIDE, to: IMAGE_SIDE, layersAdded: arr(LAYER), layersRemoved: arr(LAYER),
  }, ['from', 'to'])),
  delta: obj({ blobs: INT, bytes: INT }),
  compose: arr(obj({ path: STR, kind: KIND, from: ANY, to: ANY }, ['from', 'to'])),
});

export const RELEASE_RESPONSES: Record<string, Record<number, Schema>> = {
  'GET /apps/:app/releases/:version/details': { 200: DETAILS },
  'GET /apps/:app/releases/:version/diff': { 200: DIFF },
};
