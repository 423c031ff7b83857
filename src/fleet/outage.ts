// A stretch when an instance could not reach its hub, as its agent saw it and reports it once the hub is back.

export interface Outage {
  /** When the first poll failed. */
  readonly since: string;
  /** When a poll got through again. */
  readonly until: string;
  readonly failedPolls: number;
}

/** The outage a stored status report names, if it names a well-formed one. */
export function outageOf(report: Readonly<Record<string, unknown>> | null | undefined): Outage | null {
  const o = report?.lastOutage as Partial<Outage> | null | undefined;
  return o && typeof o.since === 'string' && typeof o.until === 'string' && typeof o.failedPolls === 'number' ? { since: o.since, until: o.until, failedPolls: o.failedPolls } : null;
}
