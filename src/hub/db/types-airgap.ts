// The metadata seam's air-gap part: report bookkeeping and stored support bundles.

/** An instance's air-gap bookkeeping: the last report imported, a pending support-bundle request. */
export interface AirgapState {
  readonly lastReport: { readonly seq: number; readonly digest: string; readonly at: string } | null;
  readonly supportRequestedAt: string | null;
}

/** A support bundle stored in the hub's content store. */
export interface SupportBundleRecord {
  readonly id: string;
  readonly instanceId: string;
  readonly digest: string;
  readonly size: number;
  /** The actor who uploaded it (the instance itself, or a vendor user). */
  readonly uploadedBy: string;
  readonly createdAt: string;
}
