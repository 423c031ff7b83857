// Which values of an installation are secret (declared so by its release, or marked so at the hub), and hiding them in
// text that may quote a container's output (a healthcheck's last probe), before it reaches a log, a status or a report.
import type { ReleaseManifest } from '../release/index.ts';
import type { Installed } from './state.ts';

/** The secret settings of an installation; all of them when its release is unknown (hide rather than show). */
export function secretNames(release: ReleaseManifest | undefined, inst: Installed): Set<string> {
  if (!release) return new Set(Object.keys(inst.values));
  return new Set([
    ...release.configSchema.filter((c) => c.secret).map((c) => c.name),
    ...(inst.secrets ?? []),
  ]);
}

/** A function that replaces every given secret value in a text with ***, longest first (no part of one is left). */
export function redactor(values: Iterable<string>): (text: string) => string {
  const list = [...new Set(values)].filter((v) => v !== '').sort((a, b) => b.length - a.length);
  return (text) => list.reduce((out, secret) => out.split(secret).join('***'), text);
}
