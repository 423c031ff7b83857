// Every on-disk path of the filesystem store, in one place. Digests and names are validated before joining.
//
//   <root>/
//     blobs/sha256/<hex>                       content-addressed blobs (manifests, configs, layers)
//     tmp/<pid>-<random>                       in-flight writes of process <pid>, renamed into blobs/ on commit
//     releases/<app>/<version>/release.json    canonical release manifest bytes
//     releases/<app>/<version>/release.sig     its signature envelope
//     releases/<app>/<version>/provenance.json its signed in-toto provenance (optional)
//     trust/<app>/root.<n>.json                the app's root chain, from version 1
//     diffids/<hex>                            uncompressed layer digest -> its compressed blob (a cache for release create)
import { join } from 'node:path';
import { digestHex, parseDigest, type Digest } from '../../oci/index.ts';
import { SkiffError } from '../../util/index.ts';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VERSION_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function checkAppName(app: string): string {
  if (!NAME_RE.test(app))
    throw new SkiffError('INVALID_INPUT', `app name "${app}" is invalid: use lowercase letters, digits, ".", "_" or "-"`);
  return app;
}

export function checkVersion(version: string): string {
  if (!VERSION_RE.test(version) || version.length > 128)
    throw new SkiffError('INVALID_INPUT', `version "${version}" is not a semantic version (X.Y.Z)`);
  return version;
}

/** The pid that wrote temp file `name`, undefined for other names (older versions wrote `<random>`). */
export function tempFileOwner(name: string): number | undefined {
  const m = /^(\d{1,10})-[0-9a-f]+$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export class StorePaths {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  get blobsDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }
  get tmpDir(): string {
    return join(this.root, 'tmp');
  }
  /** A new temp file of this process (its pid in the name, so a later process can tell it is a dead one's). */
  tempFile(random: string): string {
    return join(this.tmpDir, `${process.pid}-${random}`);
  }
  blob(digest: Digest): string {
    return join(this.blobsDir, digestHex(parseDigest(digest)));
  }
  releasesDir(app?: string): string {
    return app === undefined ? join(this.root, 'releases') : join(this.root, 'releases', checkAppName(app));
  }
  releaseDir(app: string, version: string): string {
    return join(this.releasesDir(app), checkVersion(version));
  }
  releaseJson(app: string, version: string): string {
    return join(this.releaseDir(app, version), 'release.json');
  }
  releaseSig(app: string, version: string): string {
    return join(this.releaseDir(app, version), 'release.sig');
  }
  releaseProvenance(app: string, version: string): string {
    return join(this.releaseDir(app, version), 'provenance.json');
  }
  diffIdEntry(diffId: Digest): string {
    return join(this.root, 'diffids', digestHex(parseDigest(diffId)));
  }
  trustDir(app: string): string {
    return join(this.root, 'trust', checkAppName(app));
  }
  rootFile(app: string, n: number): string {
    if (!Number.isInteger(n) || n < 1) throw new SkiffError('INVALID_INPUT', `root version ${n} is invalid`);
    return join(this.trustDir(app), `root.${n}.json`);
  }
}
