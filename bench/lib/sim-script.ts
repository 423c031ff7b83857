// What a simulated agent does with the release it is told, as the real agent's converge step does
// (src/agent/connected/run.ts): a release that failed here is not tried again on its own, only once per "install now"
// request; a try commits or fails as the test's script says, and a failure is reported as `failedRelease`.

/** A failed try, as the agent reports it (src/agent/connected/report.ts). */
export interface FailedRelease {
  readonly version: string;
  readonly at: string;
  readonly reason: string;
}

export type Outcome = 'commit' | 'fail';

/** Decides each try of each agent: (agent index, version) → outcome. Default: every try commits. */
export type OutcomeScript = (index: number, version: string) => Outcome;

export interface SiteState {
  current: string | null;
  failed: FailedRelease | null;
  /** The hub's "install now" was spent on a retry (cleared when an answer without it comes). */
  usedInstallNow: boolean;
}

/** Moves the site toward `target`; true when something changed (a commit or a failure), which the agent reports. */
export function applyDesired(site: SiteState, target: string | null, installNow: boolean, tryInstall: () => Outcome, now: Date): boolean {
  if (!installNow) site.usedInstallNow = false;
  if (target === null || target === site.current) return false;
  if (site.failed?.version === target) {
    if (!installNow || site.usedInstallNow) return false;
    site.usedInstallNow = true;
  }
  if (tryInstall() === 'commit') {
    site.current = target;
    site.failed = null;
  } else site.failed = { version: target, at: now.toISOString(), reason: `the simulated install of ${target} failed its health check; rolled back` };
  return true;
}
