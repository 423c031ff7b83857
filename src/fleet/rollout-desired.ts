// What a rollout tells an instance (pure): one in a started group is offered the rollout's release; one in a group
// not yet started keeps what it runs — its channel is cut to releases no newer than that (or, with nothing installed,
// older than the rollout's release) — so nobody reaches the new release through the channel ahead of its group.
import { semver } from '../util/index-semver.ts';
import type { ChannelRelease } from './desired-state.ts';

export interface RolloutView {
  /** The release the rollout installs. */
  readonly release: ChannelRelease;
  /** The instance's group has started (it is told the release now). */
  readonly started: boolean;
}

/** The release to offer outright, or the channel to choose from instead; undefined: the rollout changes nothing. */
export function underRollout(r: RolloutView, channel: readonly ChannelRelease[], current: string | null): { release?: ChannelRelease; channel?: ChannelRelease[] } | undefined {
  const runs = current !== null && semver.valid(current) ? current : null;
  if (r.started) return runs !== null && semver.gt(runs, r.release.version) ? undefined : { release: r.release };
  return { channel: channel.filter((c) => (runs !== null ? semver.lte(c.version, runs) : semver.lt(c.version, r.release.version))) };
}
