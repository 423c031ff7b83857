// `skiff agent snapshots`: the volume copies kept with the releases, and putting one back by hand under the release
// that runs (its containers that use the volumes are recreated and health-gated).
import { getRelease } from '../release/index.ts';
import { SkiffError } from '../util/index.ts';
import { deploy } from './deploy.ts';
import { withAgent, type AgentOptions } from './install.ts';
import { completeVolumes, listSnapshots, restoreVolumes, type SnapshotMeta } from './snapshots.ts';
import { StateDir } from './state.ts';

export async function agentSnapshots(stateDir: string): Promise<SnapshotMeta[]> {
  await new StateDir(stateDir).readState();
  return listSnapshots(stateDir);
}

export async function restoreSnapshot(opts: AgentOptions & { readonly id: string }): Promise<SnapshotMeta> {
  return withAgent(opts, async (sd, engine) => {
    const state = await sd.readState();
    if (!state?.current) throw new SkiffError('STATE_INVALID', `nothing is installed in ${opts.stateDir}: install a release first`);
    const all = await listSnapshots(sd.dir);
    const snap = all.find((s) => s.id === opts.id);
    if (!snap) throw new SkiffError('NOT_FOUND', `no snapshot ${opts.id} in ${opts.stateDir}: skiff agent snapshots lists them${all.length ? ` (${all.map((s) => s.id).join(', ')})` : ''}`);
    const volumes = await completeVolumes(sd.dir, snap.id, snap.volumes.map((v) => v.name));
    const release = (await getRelease(sd.store, state.app, state.current.version)).manifest;
    const image = `sha256:${Object.values(release.images)[0]!.configDigest.slice(7)}`;
    opts.log?.(`restoring ${volumes.join(', ')} from ${snap.id} (data of ${snap.release})`);
    await restoreVolumes(engine, sd.dir, state.app, snap.id, volumes, image, async () => undefined);
    const back = await deploy(engine, { release, values: state.current.values }, { healthTimeoutMs: opts.healthTimeoutMs ?? 120_000, stopTimeoutSec: opts.stopTimeoutSec });
    if (!back.ok) throw new SkiffError('HEALTH_FAILED', `restored ${snap.id}, but service ${back.service} of ${state.app}@${state.current.version} is not healthy on that data: ${back.reason}`);
    return snap;
  });
}
