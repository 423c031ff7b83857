// Per-site values, the pure part: a customer's values overridden by an instance's, checked against the settings a
// release declares, and the digest of what a site runs with (secrets included, so the signed desired state can name a
// change without carrying any value).
import { createHash } from 'node:crypto';
import { resolveValues, type ConfigSetting } from '../compose/index.ts';
import { canonicalJson } from '../trust/index.ts';
import { isSkiffError } from '../util/index.ts';

/** The values a site would run a release with, or why it cannot run that release with the values it has. */
export type ValuesVerdict =
  | { readonly ok: true; readonly values: Readonly<Record<string, string>>; readonly digest: string }
  | { readonly ok: false; readonly reason: string };

/** `sha256:<hex>` of the canonical JSON of resolved values; the agent computes the same over what it runs. */
export function valuesDigest(values: Readonly<Record<string, string>>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(values)).digest('hex')}`;
}

/** Instance values win over the customer's. */
export function mergeValues(
  customer: Readonly<Record<string, string>>,
  instance: Readonly<Record<string, string>>,
): Record<string, string> {
  return { ...customer, ...instance };
}

/**
 * The values a site runs a release with: the settings the release declares, from the site's values or their defaults.
 * A value for a setting the release does not declare is left out (it may be meant for another release); a missing
 * required or an invalid value is a reason not to offer the release (the message names the setting, never a value).
 */
export function checkSiteValues(
  settings: readonly ConfigSetting[],
  given: Readonly<Record<string, string>>,
): ValuesVerdict {
  const declared = new Set(settings.map((s) => s.name));
  const used = Object.fromEntries(Object.entries(given).filter(([name]) => declared.has(name)));
  try {
    const values = resolveValues(settings, used);
    return { ok: true, values, digest: valuesDigest(values) };
  } catch (e) {
    if (!isSkiffError(e, 'CONFIG_INVALID')) throw e;
    return { ok: false, reason: e.message };
  }
}

/**
 * Checks only the values being set (their names and types) against a release, as when they are set at the hub: a
 * required setting still missing is not a reason to refuse another one. Throws CONFIG_INVALID naming the setting.
 */
export function checkNewValues(
  settings: readonly ConfigSetting[],
  values: Readonly<Record<string, string>>,
): void {
  resolveValues(
    settings.map((s) => ({ ...s, required: false })),
    values,
  );
}
