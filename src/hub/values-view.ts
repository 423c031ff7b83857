// How a site's values are listed, to vendor users and to the customer alike: every setting of the release the site
// would get and every value set, where each comes from; a secret shows as set or not set, never its value.
import type {
  CustomerRecord,
  InstanceRecord,
  MetadataReads,
  SiteValueRecord,
  ValuesScope,
} from './db/types.ts';
import type { SiteTarget, SiteValues } from './values.ts';

/** A customer's values of an app, or one instance's (with `instance`). */
export interface Site {
  readonly customer: CustomerRecord;
  readonly scope: ValuesScope;
  readonly instance?: InstanceRecord;
  /** The audit target naming it. */
  readonly target: string;
}

/** One setting of a site as anyone sees it. */
export interface ValueView {
  readonly name: string;
  /** Where the value comes from; null when it is not set (the release's default applies, if any). */
  readonly level: 'customer' | 'instance' | null;
  readonly secret: boolean;
  readonly set: boolean;
  readonly value?: string;
  /** Whether the release listed declares it, and requires it. */
  readonly declared: boolean;
  readonly required: boolean;
}

export async function valuesListing(values: SiteValues, db: MetadataReads, site: Site) {
  const { customer, scope, instance } = site;
  const [rows, targets] = await Promise.all([
    db.listSiteValues(scope.customerId, scope.app),
    values.targets(customer, scope.app, instance),
  ]);
  const listed = instance ? targets[0] : targets.at(-1);
  const settings = listed?.release ? values.settingsOf(listed.release) : [];
  const effective = values.effective(rows, scope.instanceId);
  const names = [
    ...settings.map((s) => s.name),
    ...[...effective.keys()].filter((n) => !settings.some((s) => s.name === n)).sort(),
  ];
  const list: ValueView[] = names.map((name) => {
    const row = effective.get(name);
    const setting = settings.find((s) => s.name === name);
    const secret = (row?.secret ?? false) || (setting?.secret ?? false);
    return {
      name,
      level: row ? (row.instanceId === null ? 'customer' : 'instance') : null,
      secret,
      set: row !== undefined,
      ...(row && !secret ? { value: row.value } : {}),
      declared: setting !== undefined,
      required: setting?.required ?? false,
    };
  });
  return {
    customer: customer.name,
    app: scope.app,
    instance: instance ? { id: instance.id, name: instance.name } : null,
    release: listed?.release?.version ?? null,
    values: list,
    held: held(values, targets, rows),
  };
}

/**
 * The sites whose release their values do not satisfy yet (a required setting missing); a new instance of the
 * customer counts only while it has none.
 */
function held(
  values: SiteValues,
  targets: readonly SiteTarget[],
  rows: readonly SiteValueRecord[],
): { site: string; release: string; reason: string }[] {
  const out: { site: string; release: string; reason: string }[] = [];
  for (const t of targets) {
    if (!t.release || (t.instanceId === null && targets.length > 1)) continue;
    const verdict = values.verdict(t.release, values.merged(rows, t.instanceId));
    if (!verdict.ok) out.push({ site: t.site, release: t.release.version, reason: verdict.reason });
  }
  return out;
}
