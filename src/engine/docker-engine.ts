// The one thin Docker Engine API client: negotiated version, images, containers, networks, volumes.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSkiffError } from '../util/index.ts';
import {
  decodeContainerInspect,
  decodeContainerList,
  decodeId,
  decodeImageInspect,
  decodeImageList,
  decodeInfo,
  decodeNetworkList,
  decodeVersion,
  decodeVolume,
  decodeVolumeList,
  decodeVolumeSizes,
  decodeWait,
} from './decode.ts';
import { buildImage, exportImages, importImage, loadImages, pullImage } from './image-transfer.ts';
import { demuxLogs } from './log-demux.ts';
import { decodeContainerStats, type ContainerStats } from './stats.ts';
import { EngineApiError, EngineTransport, negotiateApiVersion, pathSegment } from './transport.ts';
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  EngineInfo,
  Filters,
  ImageInspect,
  ImageSummary,
  NetworkSummary,
  RegistryAuth,
  VolumeSummary,
} from './types.ts';

export interface ConnectOptions {
  /** the engine's unix socket; default: DOCKER_HOST, else /var/run/docker.sock */
  socketPath?: string;
  signal?: AbortSignal;
}

const filtersQuery = (filters: Filters | undefined): string | undefined =>
  filters === undefined || Object.keys(filters).length === 0 ? undefined : JSON.stringify(filters);

export class DockerEngine {
  readonly #t: EngineTransport;
  readonly apiVersion: string;
  readonly serverVersion: string;

  private constructor(t: EngineTransport, apiVersion: string, serverVersion: string) {
    this.#t = t;
    this.apiVersion = apiVersion;
    this.serverVersion = serverVersion;
  }

  /** Connects and negotiates the API version: the server's, capped at ours, at least 1.41. */
  static async connect(opts: ConnectOptions = {}): Promise<DockerEngine> {
    const t = new EngineTransport(opts.socketPath);
    try {
      const v = decodeVersion(await t.json('/version', { signal: opts.signal }));
      const api = negotiateApiVersion(v.ApiVersion);
      t.setVersion(api);
      return new DockerEngine(t, api, v.Version);
    } catch (e) {
      await t.close();
      throw e;
    }
  }

  /** Where this client talks to, e.g. `unix:///var/run/docker.sock`. */
  get endpoint(): string {
    return this.#t.display;
  }

  async close(): Promise<void> {
    await this.#t.close();
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.#t.empty('/_ping', { signal });
  }

  async info(signal?: AbortSignal): Promise<EngineInfo> {
    return decodeInfo(await this.#t.json('/info', { signal }));
  }

  // images

  async imageInspect(ref: string, signal?: AbortSignal): Promise<ImageInspect | undefined> {
    const data = await this.#t.json(`/images/${pathSegment(ref)}/json`, { signal, notFoundOk: true });
    return data === undefined ? undefined : decodeImageInspect(data);
  }

  /** The docker-save tar of one or more images, streamed as the engine writes it. */
  async imageExport(ref: string | string[], signal?: AbortSignal): Promise<Readable> {
    return exportImages(this.#t, ref, signal);
  }

  /** Pulls `ref` (a tag or `repo@sha256:…`), reading the progress stream to its end; `auth` is for registries that need a login. */
  async imagePull(ref: string, onProgress?: (ev: unknown) => void, signal?: AbortSignal, auth?: RegistryAuth): Promise<void> {
    await pullImage(this.#t, ref, onProgress, signal, auth);
  }

  /** Loads a docker-archive tar (`docker load`): the engine checks each layer against the config's diffIDs. */
  async imageLoad(tar: Readable, signal?: AbortSignal): Promise<void> {
    await loadImages(this.#t, tar, signal);
  }

  /** `docker import` of a root filesystem tar as a one-layer image; `changes` are Dockerfile instructions. Returns the image ID. */
  async imageImport(tar: Readable | Buffer, ref: string, changes: string[] = [], signal?: AbortSignal): Promise<string> {
    return importImage(this.#t, (r) => this.imageInspect(r, signal), tar, ref, changes, signal);
  }

  /** Builds an image from a tar build context with the classic builder. Returns the image ID. */
  async imageBuild(context: Readable | Buffer, ref: string, onProgress?: (ev: unknown) => void, signal?: AbortSignal): Promise<string> {
    return buildImage(this.#t, (r) => this.imageInspect(r, signal), context, ref, onProgress, signal);
  }

  async imageTag(source: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/images/${pathSegment(source)}/tag`, { method: 'POST', query: { repo, tag }, signal });
  }

  /** Removes an image or one of its tags; a missing image is fine, one in use is ENGINE_ERROR. */
  async imageRemove(ref: string, opts: { force?: boolean; noprune?: boolean } = {}, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/images/${pathSegment(ref)}`, {
      method: 'DELETE',
      query: { force: opts.force ?? false, noprune: opts.noprune ?? false },
      accept: [404],
      signal,
    });
  }

  async imageList(filters?: Filters, signal?: AbortSignal): Promise<ImageSummary[]> {
    return decodeImageList(await this.#t.json('/images/json', { query: { filters: filtersQuery(filters) }, signal }));
  }

  // containers

  async containerList(filters: Filters, all = true, signal?: AbortSignal): Promise<ContainerSummary[]> {
    return decodeContainerList(await this.#t.json('/containers/json', { query: { all, filters: filtersQuery(filters) }, signal }));
  }

  async containerCreate(name: string, body: ContainerCreateBody, signal?: AbortSignal): Promise<string> {
    return decodeId(await this.#t.json('/containers/create', { method: 'POST', query: { name }, body, signal }), 'a container create');
  }

  async containerStart(id: string, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/containers/${pathSegment(id)}/start`, { method: 'POST', accept: [304], signal });
  }

  /** Stops with SIGTERM, then SIGKILL after `timeoutSec` (engine default when omitted); already stopped is fine. */
  async containerStop(id: string, timeoutSec?: number, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/containers/${pathSegment(id)}/stop`, { method: 'POST', query: { t: timeoutSec }, accept: [304], signal });
  }

  /** Removes a container; `volumes` also removes its anonymous volumes (never named ones). A missing container is fine. */
  async containerRemove(id: string, opts: { force?: boolean; volumes?: boolean } = {}, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/containers/${pathSegment(id)}`, {
      method: 'DELETE',
      query: { force: opts.force ?? false, v: opts.volumes ?? false },
      accept: [404],
      signal,
    });
  }

  /** Waits for a container to stop and returns its exit code. */
  async containerWait(id: string, signal?: AbortSignal): Promise<number> {
    const data = await this.#t.json(`/containers/${pathSegment(id)}/wait`, { method: 'POST', signal });
    return decodeWait(data);
  }

  async containerRename(id: string, newName: string, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/containers/${pathSegment(id)}/rename`, { method: 'POST', query: { name: newName }, signal });
  }

  async containerInspect(id: string, signal?: AbortSignal): Promise<ContainerInspect | undefined> {
    const data = await this.#t.json(`/containers/${pathSegment(id)}/json`, { signal, notFoundOk: true });
    return data === undefined ? undefined : decodeContainerInspect(data);
  }

  /** One sample of the container's CPU and memory use (the engine takes two readings, about a second apart). */
  async containerStats(id: string, signal?: AbortSignal): Promise<ContainerStats> {
    return decodeContainerStats(await this.#t.json(`/containers/${pathSegment(id)}/stats`, { query: { stream: false }, signal }));
  }

  /** `docker inspect` as the engine answers it, every field (for support bundles; redact before it leaves the host). */
  async containerInspectRaw(id: string, signal?: AbortSignal): Promise<unknown> {
    return this.#t.json(`/containers/${pathSegment(id)}/json`, { signal, notFoundOk: true });
  }

  /** stdout and stderr of a container, interleaved as the engine logged them. */
  async containerLogs(id: string, opts: { tail?: number; stdout?: boolean; stderr?: boolean; since?: number } = {}, signal?: AbortSignal): Promise<string> {
    const res = await this.#t.call(`/containers/${pathSegment(id)}/logs`, {
      query: { stdout: opts.stdout ?? true, stderr: opts.stderr ?? true, tail: opts.tail === undefined ? 'all' : String(opts.tail), ...(opts.since === undefined ? {} : { since: opts.since }) },
      signal,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return demuxLogs(Buffer.concat(chunks)).combined;
  }

  /** A container's stdout and stderr from `since` (seconds.nanos), each line prefixed by its engine timestamp; followed while it runs. */
  async containerLogStream(id: string, opts: { since?: string; follow?: boolean } = {}, signal?: AbortSignal): Promise<Readable> {
    return this.#t.bulk('GET', `/containers/${pathSegment(id)}/logs`, { stdout: true, stderr: true, timestamps: true, follow: opts.follow ?? true, since: opts.since ?? '0' }, signal ? { signal } : {});
  }

  /** A tar of `path` in a container's filesystem, its mounted volumes included; works on a container never started. */
  async containerArchive(id: string, path: string, signal?: AbortSignal): Promise<Readable> {
    return this.#t.bulk('GET', `/containers/${pathSegment(id)}/archive`, { path }, { signal });
  }

  /** Extracts a tar into `path` of a container (into its volumes too), keeping the owners the tar names. */
  async containerPutArchive(id: string, path: string, tar: Readable, signal?: AbortSignal): Promise<void> {
    const res = await this.#t.bulk('PUT', `/containers/${pathSegment(id)}/archive`, { path, copyUIDGID: true }, { body: tar, headers: { 'content-type': 'application/x-tar' }, signal });
    res.resume();
  }

  // networks

  async networkConnect(network: string, containerId: string, aliases: string[], signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/networks/${pathSegment(network)}/connect`, {
      method: 'POST',
      body: { Container: containerId, EndpointConfig: { Aliases: aliases } },
      signal,
    });
  }

  async networkList(filters?: Filters, signal?: AbortSignal): Promise<NetworkSummary[]> {
    return decodeNetworkList(await this.#t.json('/networks', { query: { filters: filtersQuery(filters) }, signal }));
  }

  async networkCreate(name: string, labels: Record<string, string>, driver = 'bridge', signal?: AbortSignal): Promise<string> {
    const body = { Name: name, Driver: driver, Labels: labels, CheckDuplicate: true };
    return decodeId(await this.#t.json('/networks/create', { method: 'POST', body, signal }), 'a network create');
  }

  /** Removes a network; a missing one is fine. */
  async networkRemove(id: string, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/networks/${pathSegment(id)}`, { method: 'DELETE', accept: [404], signal });
  }

  // volumes

  async volumeList(filters?: Filters, signal?: AbortSignal): Promise<VolumeSummary[]> {
    return decodeVolumeList(await this.#t.json('/volumes', { query: { filters: filtersQuery(filters) }, signal }));
  }

  async volumeCreate(name: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
    await this.#t.empty('/volumes/create', { method: 'POST', body: { Name: name, Labels: labels, Driver: 'local' }, signal });
  }

  async volumeInspect(name: string, signal?: AbortSignal): Promise<VolumeSummary | undefined> {
    const data = await this.#t.json(`/volumes/${pathSegment(name)}`, { signal, notFoundOk: true });
    return data === undefined ? undefined : decodeVolume(data);
  }

  /**
   * Bytes each local volume holds, by name (the engine walks them: seconds on large volumes). The engine runs one disk
   * usage walk at a time and refuses another meanwhile (Docker 20.10: a 500 saying so) (a second agent, a `docker system df`): that one is waited
   * for, up to a minute.
   */
  async volumeSizes(signal?: AbortSignal): Promise<Map<string, number>> {
    const deadline = Date.now() + 60_000;
    for (let wait = 200; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return decodeVolumeSizes(await this.#t.json('/system/df', { query: { type: 'volume' }, signal }));
      } catch (e) {
        const busy = isSkiffError(e, 'ENGINE_ERROR') && e.cause instanceof EngineApiError && /disk usage operation is already running/.test(e.cause.message);
        if (!busy || Date.now() + wait > deadline) throw e;
        await sleep(wait, undefined, { signal });
      }
    }
  }

  /** Removes a volume; a missing one is fine, one in use is ENGINE_ERROR. */
  async volumeRemove(name: string, signal?: AbortSignal): Promise<void> {
    await this.#t.empty(`/volumes/${pathSegment(name)}`, { method: 'DELETE', accept: [404], signal });
  }
}
