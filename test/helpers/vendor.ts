// A tiny vendor for tests: a trust dir, a content store, busybox images sharing a base layer, a two-service
// compose.yaml (healthcheck, named volume, port, settings) and releases made from them with createRelease.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { DockerEngine } from '../../src/engine/index.ts';
import { createRelease, type StoredRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust } from '../../src/trust/index.ts';
import { buildBusyboxImage, buildLayeredImage, ensureEngine, uniqueName } from './engine.ts';
import { freeStablePort } from './ports.ts';

export interface VersionOptions {
  /** What web serves at `/`; a different page gives a different web image. Default: `web <version>`. */
  readonly webPage?: string;
  /** `ok`: web's healthcheck fetches its page; `fail`: it always fails (for rollback tests). Default `ok`. */
  readonly health?: 'ok' | 'fail';
  readonly changelog?: string;
  readonly minAgentVersion?: string;
  /** Last word on the Compose document before it is written (add a service, change a key…). */
  readonly edit?: (doc: ComposeDoc) => void;
}

export type ComposeDoc = { services: Record<string, Record<string, unknown>> } & Record<string, unknown>;

export interface Vendor {
  readonly dir: string;
  readonly trustDir: string;
  /** The vendor's root.json, what agents and `bundle verify` pin. */
  readonly rootJson: string;
  readonly storeDir: string;
  readonly store: FsBlobStore;
  readonly app: string;
  readonly engine: DockerEngine;
  /** Host port web publishes on 127.0.0.1 (the default of setting WEB_PORT). */
  readonly webPort: number;
  /** Builds the version's images and writes its compose.yaml; returns the file's path. */
  composeFor(version: string, opts?: VersionOptions): Promise<string>;
  /** composeFor + createRelease; `created` is false when an identical release was already there. */
  createVersion(version: string, opts?: VersionOptions): Promise<StoredRelease>;
  createVersionResult(
    version: string,
    opts?: VersionOptions,
  ): Promise<{ release: StoredRelease; created: boolean }>;
  /** The engine tag of a service image for these options (after composeFor built it). */
  webImage(version: string, opts?: VersionOptions): string;
  readonly workerImage: string;
  /** Removes the vendor's images and directory. */
  cleanup(): Promise<void>;
}

const short = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

export async function makeVendor(prefix = 'skv'): Promise<Vendor> {
  const engine = await ensureEngine();
  const app = uniqueName(prefix);
  const dir = await mkdtemp(path.join(os.tmpdir(), `${app}-`));
  const trustDir = path.join(dir, 'trust');
  const storeDir = path.join(dir, 'store');
  await initTrust(trustDir, { expiresDays: 30 });
  const store = new FsBlobStore(storeDir);
  const repo = `skiff-test/${app}`;
  const tags = new Set<string>();
  const baseImage = `${repo}-base:1`;
  const workerImage = `${repo}-worker:1`;
  const webPort = await freeStablePort();

  const webImage = (version: string, opts: VersionOptions = {}): string =>
    `${repo}-web:${short(opts.webPage ?? `web ${version}`)}`;
  let built: Promise<void> | undefined;
  const buildCommon = async (): Promise<void> => {
    await buildBusyboxImage(engine, baseImage, { files: { '/etc/skiff-test-base': 'shared base layer\n' } });
    tags.add(baseImage);
    await buildLayeredImage(
      engine,
      workerImage,
      baseImage,
      { '/app/worker.sh': 'echo started >> /data/log\nexec sleep 3600\n' },
      { cmd: ['sh', '/app/worker.sh'] },
    );
    tags.add(workerImage);
  };

  const composeFor = async (version: string, opts: VersionOptions = {}): Promise<string> => {
    built ??= buildCommon();
    await built;
    const web = webImage(version, opts);
    if (!tags.has(web)) {
      await buildLayeredImage(
        engine,
        web,
        baseImage,
        { '/www/index.html': `${opts.webPage ?? `web ${version}`}\n` },
        { cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'] },
      );
      tags.add(web);
    }
    const test =
      opts.health === 'fail'
        ? ['CMD', 'false']
        : ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'];
    const doc: ComposeDoc = {
      services: {
        web: {
          image: web,
          ports: ['127.0.0.1:${WEB_PORT}:8080'],
          environment: { GREETING: '${GREETING}', API_TOKEN: '${API_TOKEN}' },
          healthcheck: { test, interval: '1s', timeout: '2s', retries: 3, start_period: '1s' },
          depends_on: { worker: { condition: 'service_started' } },
          restart: 'unless-stopped',
        },
        worker: {
          image: workerImage,
          volumes: ['data:/data'],
          restart: 'unless-stopped',
        },
      },
      volumes: { data: null },
      'x-skiff': {
        config: {
          WEB_PORT: { type: 'port', default: webPort, description: 'host port of the web page' },
          GREETING: { type: 'string', default: 'hello' },
          API_TOKEN: { type: 'string', secret: true, required: false, default: 'not-a-real-token' },
        },
      },
    };
    opts.edit?.(doc);
    const file = path.join(dir, 'compose', version, `${short(JSON.stringify(doc))}.yaml`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, stringify(doc));
    return file;
  };

  const createVersionResult = async (
    version: string,
    opts: VersionOptions = {},
  ): Promise<{ release: StoredRelease; created: boolean }> =>
    createRelease({
      composeFile: await composeFor(version, opts),
      app,
      version,
      trustDir,
      store,
      engine,
      changelog: opts.changelog ?? `Version ${version}.\n`,
      ...(opts.minAgentVersion ? { minAgentVersion: opts.minAgentVersion } : {}),
    });

  return {
    dir,
    trustDir,
    rootJson: path.join(trustDir, 'root.json'),
    storeDir,
    store,
    app,
    engine,
    webPort,
    composeFor,
    createVersion: async (version, opts) => (await createVersionResult(version, opts)).release,
    createVersionResult,
    webImage,
    workerImage,
    async cleanup() {
      for (const tag of [...tags].reverse())
        await engine.imageRemove(tag, { force: true }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
