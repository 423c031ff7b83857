// The secret setting values this site runs with (current, previous and in-flight releases): what redaction must hide
// besides the common secret shapes, before logs, reports or support bundles leave the host.
import { secretSettingValues } from '../../redact/index.ts';
import { findRelease } from '../../release/index.ts';
import { secretNames } from '../secrets.ts';
import type { Installed, StateDir } from '../state.ts';

export async function siteSecrets(sd: StateDir): Promise<string[]> {
  const [state, journal] = await Promise.all([sd.readState().catch(() => undefined), sd.readJournal().catch(() => undefined)]);
  const installs = [state?.current, state?.previous, journal?.to, journal?.from].filter((i): i is Installed => i !== undefined);
  const app = state?.app ?? journal?.app;
  const out = new Set<string>();
  for (const inst of installs) {
    const release = app ? await findRelease(sd.store, app, inst.version).catch(() => undefined) : undefined;
    for (const v of secretSettingValues(secretNames(release?.manifest, inst), inst.values)) out.add(v);
  }
  return [...out];
}
