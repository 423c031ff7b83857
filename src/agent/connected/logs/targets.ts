// Where the running release's x-skiff.logs files are on this host: each entry's directory under the mountpoint of
// the app's volume, found through the service that mounts the volume there.
import { join } from 'node:path';
import { dirInVolume, normalizeCompose } from '../../../compose/index.ts';
import type { DockerEngine } from '../../../engine/index.ts';
import { findRelease } from '../../../release/index.ts';
import { volumeName } from '../../containers.ts';
import { StateDir } from '../../state.ts';
import type { LogFileTarget } from './files.ts';

/** The targets of the release that runs; none when nothing runs or its release is not in the store. */
export async function runningLogTargets(stateDir: string, engine: Pick<DockerEngine, 'volumeInspect'>): Promise<LogFileTarget[]> {
  const sd = new StateDir(stateDir);
  const state = await sd.readState();
  const inst = state?.current;
  if (!state || !inst) return [];
  const release = await findRelease(sd.store, state.app, inst.version).catch(() => undefined);
  if (!release) return [];
  const project = normalizeCompose(release.manifest.compose, inst.values);
  const out: LogFileTarget[] = [];
  for (const spec of project.logs ?? []) {
    const mounted = Object.values(project.services).flatMap((s) => s.volumes.flatMap((v) => {
      const rel = v.type === 'volume' && v.source === spec.volume ? dirInVolume(spec, v.target) : undefined;
      return rel === undefined ? [] : [{ service: s.name, rel }];
    }))[0];
    const volume = mounted && (await engine.volumeInspect(volumeName(state.app, spec.volume)));
    if (!mounted || !volume) continue;
    out.push({ service: mounted.service, label: join(spec.volume, mounted.rel), hostDir: join(volume.mountpoint, mounted.rel), pattern: spec.pattern });
  }
  return out;
}
