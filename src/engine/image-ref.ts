// Splits an image reference into the repository and tag-or-digest the engine's create/import calls take.

export interface SplitRef {
  repo: string;
  /** a tag, or a digest for `repo@sha256:…` references */
  tag: string;
}

export function splitImageRef(ref: string): SplitRef {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}
