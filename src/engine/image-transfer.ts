// Images in and out of the engine as streams: pull, load (docker-archive), import, build, export.
import type { Readable } from 'node:stream';
import { SkiffError, isSkiffError } from '../util/index.ts';
import { splitImageRef } from './image-ref.ts';
import { readJsonLines } from './json-lines.ts';
import { EngineApiError, type EngineTransport } from './transport.ts';
import type { ImageInspect, RegistryAuth } from './types.ts';

type Inspect = (ref: string) => Promise<ImageInspect | undefined>;

export async function exportImages(t: EngineTransport, ref: string | string[], signal?: AbortSignal): Promise<Readable> {
  const refs = Array.isArray(ref) ? ref : [ref];
  const res = await t.call('/images/get', { query: { names: refs }, signal });
  return res.body;
}

export async function pullImage(t: EngineTransport, ref: string, onProgress?: (ev: unknown) => void, signal?: AbortSignal, auth?: RegistryAuth): Promise<void> {
  const { repo, tag } = splitImageRef(ref);
  const headers: Record<string, string> = auth === undefined ? {} : { 'x-registry-auth': Buffer.from(JSON.stringify(auth)).toString('base64url') };
  let res;
  try {
    res = await t.call('/images/create', { method: 'POST', query: { fromImage: repo, tag }, headers, signal });
  } catch (e) {
    if (!isSkiffError(e, 'ENGINE_ERROR') || !(e.cause instanceof EngineApiError)) throw e;
    throw new SkiffError('ENGINE_ERROR', `Docker Engine: pull of ${ref} failed: ${e.cause.message}`, { cause: e.cause });
  }
  await readJsonLines(res.body, `pull of ${ref}`, onProgress);
}

/** Streamed through node:http (as volume tars are): the body is every layer of the images, hundreds of MB. */
export async function loadImages(t: EngineTransport, tar: Readable, signal?: AbortSignal): Promise<void> {
  const res = await t.bulk('POST', '/images/load', { quiet: true }, { body: tar, headers: { 'content-type': 'application/x-tar' }, ...(signal ? { signal } : {}) });
  await readJsonLines(res, 'image load');
}

export async function importImage(t: EngineTransport, inspect: Inspect, tar: Readable | Buffer, ref: string, changes: string[], signal?: AbortSignal): Promise<string> {
  const { repo, tag } = splitImageRef(ref);
  const res = await t.call('/images/create', {
    method: 'POST',
    query: { fromSrc: '-', repo, tag, changes },
    headers: { 'content-type': 'application/x-tar' },
    body: tar,
    signal,
  });
  await readJsonLines(res.body, `import of ${ref}`);
  const image = await inspect(ref);
  if (image === undefined) throw new SkiffError('ENGINE_ERROR', `Docker Engine: import of ${ref} finished but the image is missing`);
  return image.id;
}

export async function buildImage(t: EngineTransport, inspect: Inspect, context: Readable | Buffer, ref: string, onProgress?: (ev: unknown) => void, signal?: AbortSignal): Promise<string> {
  const res = await t.call('/build', {
    method: 'POST',
    query: { t: ref, version: '1', rm: true, forcerm: true },
    headers: { 'content-type': 'application/x-tar' },
    body: context,
    signal,
  });
  await readJsonLines(res.body, `build of ${ref}`, onProgress);
  const image = await inspect(ref);
  if (image === undefined) throw new SkiffError('ENGINE_ERROR', `Docker Engine: build of ${ref} finished but the image is missing`);
  return image.id;
}
