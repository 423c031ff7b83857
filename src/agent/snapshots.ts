// Volume snapshots: before an upgrade switches, the volumes it may change are copied (their writers stopped) to tar
// files in the state dir, and restored when it rolls back. The engine does the copying (a container's archive API on
// a container that never starts), so no image needs a shell or tar.
//
//   <state>/snapshots/<id>/snapshot.json    what was copied, of which release, when
//   <state>/snapshots/<id>/<volume>.tar      one volume's files, complete (written as .partial, then renamed)
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as z from 'zod';
import type { ComposeProject } from '../compose/index.ts';
import type { AgentEngine } from '../engine/index.ts';
import { Label } from '../oci/index.ts';
import { SkiffError, writeJsonAtomic } from '../util/index.ts';
import { volumeName } from './containers.ts';

const MOUNT = '/skiff-snapshot';

const MetaSchema = z.object({
  id: z.string(),
  app: z.string(),
  /** The release whose data the snapshot holds. */
  release: z.string(),
  /** The upgrade it was taken before. */
  before: z.string(),
  createdAt: z.string(),
  volumes: z.array(z.object({ name: z.string(), bytes: z.number() })),
});
export type SnapshotMeta = z.infer<typeof MetaSchema>;

export interface PlannedVolume {
  readonly name: string;
  /** Marked `snapshot: true` by the release (too large is an error), rather than picked by default (too large is skipped). */
  readonly marked: boolean;
}

export interface SnapshotSettings {
  /** Disk the kept snapshots may use together. */
  readonly budgetBytes: number;
  /** How many snapshots to keep. */
  readonly keep: number;
}

export const DEFAULT_SNAPSHOTS: SnapshotSettings = { budgetBytes: 10 * 2 ** 30, keep: 2 };

/** Services that mount one of `volumes` writable. */
export function writersOf(project: ComposeProject, volumes: readonly string[]): string[] {
  return Object.values(project.services)
    .filter((s) => s.volumes.some((m) => m.type === 'volume' && m.source !== undefined && volumes.includes(m.source) && !m.readOnly))
    .map((s) => s.name);
}

/**
 * The volumes to copy before switching from `from` to `to`: those `to` marks, and by default those a changed service
 * or a pre-upgrade hook writes, unless `to` opts them out. Only volumes both releases know can hold data to keep.
 */
export function planSnapshots(from: ComposeProject, to: ComposeProject, changed: ReadonlySet<string>): PlannedVolume[] {
  const hookServices = new Set(to.hooks.filter((h) => h.name === 'pre-upgrade').map((h) => h.service));
  return from.volumes
    .filter((v) => to.volumes.includes(v) && to.snapshot[v] !== false)
    .flatMap((v): PlannedVolume[] => {
      if (to.snapshot[v] === true) return [{ name: v, marked: true }];
      const written = [...writersOf(from, [v]), ...writersOf(to, [v])].some((s) => changed.has(s) || hookServices.has(s));
      return written ? [{ name: v, marked: false }] : [];
    });
}

/** Sizes the planned volumes; a marked one over the budget is an error naming it and the setting, a default one is dropped. */
export async function sizePlan(engine: AgentEngine, app: string, plan: readonly PlannedVolume[], settings: SnapshotSettings, warn: (line: string) => void): Promise<{ name: string; bytes: number }[]> {
  if (plan.length === 0) return [];
  const sizes = await engine.volumeSizes();
  const sized: { name: string; bytes: number }[] = [];
  for (const v of plan) {
    const bytes = sizes.get(volumeName(app, v.name)) ?? 0;
    if (bytes <= settings.budgetBytes) sized.push({ name: v.name, bytes });
    else if (v.marked)
      throw new SkiffError('PREFLIGHT_FAILED', `preflight snapshot: volume ${v.name} (${volumeName(app, v.name)}) holds ${mb(bytes)}, more than the snapshot budget of ${mb(settings.budgetBytes)}: raise it with --snapshot-budget, or mark the volume snapshot: false under x-skiff.volumes`);
    else warn(`snapshot: volume ${v.name} holds ${mb(bytes)}, more than the snapshot budget of ${mb(settings.budgetBytes)} (--snapshot-budget): not copied, a rollback will not restore it`);
  }
  const total = sized.reduce((n, v) => n + v.bytes, 0);
  if (total > settings.budgetBytes && plan.some((v) => v.marked))
    throw new SkiffError('PREFLIGHT_FAILED', `preflight snapshot: volumes ${sized.map((v) => v.name).join(', ')} hold ${mb(total)} together, more than the snapshot budget of ${mb(settings.budgetBytes)}: raise it with --snapshot-budget`);
  return sized;
}

const snapshotsDir = (stateDir: string): string => join(stateDir, 'snapshots');
const tarOf = (stateDir: string, id: string, volume: string): string => join(snapshotsDir(stateDir), id, `${volume}.tar`);

/** A container that is never started, mounting `volume` for the engine's archive API. */
async function holder(engine: AgentEngine, app: string, image: string, volume: string, readOnly: boolean): Promise<string> {
  return engine.containerCreate(`${app}-snapshot-${Math.random().toString(16).slice(2, 8)}`, {
    Image: image,
    Entrypoint: [`${MOUNT}-holder`],
    Labels: { [Label.app]: app, [Label.hook]: 'snapshot' },
    HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: MOUNT, ReadOnly: readOnly }], NetworkMode: 'none' },
  });
}

/** Copies each volume to `<id>/<volume>.tar`; `image` is any image present in the engine (it is never run). */
export async function takeSnapshot(engine: AgentEngine, stateDir: string, meta: Omit<SnapshotMeta, 'volumes'>, volumes: readonly string[], image: string, onVolume: (volume: string) => Promise<void>): Promise<SnapshotMeta> {
  const dir = join(snapshotsDir(stateDir), meta.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const done: SnapshotMeta['volumes'] = [];
  for (const v of volumes) {
    const file = tarOf(stateDir, meta.id, v);
    const id = await holder(engine, meta.app, image, volumeName(meta.app, v), true);
    try {
      await pipeline(await engine.containerArchive(id, MOUNT), createWriteStream(`${file}.partial`, { mode: 0o600 }));
    } finally {
      await engine.containerRemove(id, { force: true });
    }
    const fh = await open(`${file}.partial`, 'r');
    await fh.sync();
    await fh.close();
    await rename(`${file}.partial`, file);
    done.push({ name: v, bytes: (await stat(file)).size });
    await onVolume(v);
  }
  const full = { ...meta, volumes: done };
  await writeJsonAtomic(join(dir, 'snapshot.json'), full, 0o600);
  return full;
}

/** The volumes of snapshot `id` whose copy is complete (an interrupted copy is never restored: its volume was not touched yet). */
export async function completeVolumes(stateDir: string, id: string, volumes: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const v of volumes) if (await stat(tarOf(stateDir, id, v)).then(() => true, () => false)) out.push(v);
  return out;
}

/**
 * Puts each volume back as the snapshot holds it: the app's containers that mount it are removed (the release being
 * restored recreates them), the volume is recreated empty and the copy extracted into it.
 */
export async function restoreVolumes(engine: AgentEngine, stateDir: string, app: string, id: string, volumes: readonly string[], image: string, onVolume: (volume: string) => Promise<void>): Promise<void> {
  for (const v of volumes) {
    const name = volumeName(app, v);
    const previous = await engine.volumeInspect(name);
    for (const c of await engine.containerList({ volume: [name] })) {
      if (c.labels[Label.app] !== app) throw new SkiffError('CONFLICT', `cannot restore volume ${name}: container ${c.names[0] ?? c.id} (not one of ${app}'s) uses it: remove it and run skiff agent resume`);
      await engine.containerRemove(c.id, { force: true });
    }
    await engine.volumeRemove(name);
    await engine.volumeCreate(name, previous?.labels ?? { [Label.app]: app, [Label.composeProject]: app, 'com.docker.compose.volume': v });
    const holderId = await holder(engine, app, image, name, false);
    try {
      await engine.containerPutArchive(holderId, '/', createReadStream(tarOf(stateDir, id, v)));
    } finally {
      await engine.containerRemove(holderId, { force: true });
    }
    await onVolume(v);
  }
}

/** Every snapshot kept, oldest first. */
export async function listSnapshots(stateDir: string): Promise<SnapshotMeta[]> {
  const ids = await readdir(snapshotsDir(stateDir)).catch(() => [] as string[]);
  const out: SnapshotMeta[] = [];
  for (const id of ids) {
    const text = await readFile(join(snapshotsDir(stateDir), id, 'snapshot.json'), 'utf8').catch(() => undefined);
    const parsed = text === undefined ? undefined : MetaSchema.safeParse(JSON.parse(text));
    if (parsed?.success) out.push(parsed.data);
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Keeps the newest `keep` snapshots within the budget (`reserve` bytes held back for one about to be taken); removes unfinished ones except `except`. */
export async function pruneSnapshots(stateDir: string, settings: SnapshotSettings, reserve = 0, except?: string): Promise<void> {
  const all = await listSnapshots(stateDir);
  const known = new Set(all.map((s) => s.id));
  for (const id of await readdir(snapshotsDir(stateDir)).catch(() => [] as string[])) if (!known.has(id) && id !== except) await rm(join(snapshotsDir(stateDir), id), { recursive: true, force: true });
  let used = reserve;
  let kept = reserve > 0 ? 1 : 0;
  for (const s of all.reverse()) {
    const bytes = s.volumes.reduce((n, v) => n + v.bytes, 0);
    if (kept < settings.keep && used + bytes <= settings.budgetBytes && s.id !== except) {
      kept++;
      used += bytes;
    } else if (s.id !== except) await rm(join(snapshotsDir(stateDir), s.id), { recursive: true, force: true });
  }
}

/** `<release>-<UTC time>-<random>`: sorts by time, and two upgrades in the same second never share one. */
export function snapshotId(release: string, at: Date): string {
  return `${release}-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

function mb(n: number): string {
  return `${Math.ceil(n / 1e6)} MB`;
}
