// A route's answer, kept current while the page is shown: polled every few seconds with the last answer's ETag, so an
// unchanged answer costs a bodiless 304 and no re-render. With `keepPrevious`, a change of query (a search, the next
// page) keeps showing the last answer, marked `stale`, until the new one arrives, instead of a blank "Loading…".
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, getIfChanged, url, type Args, type Op, type PathOf, type ResponseOf } from './api.ts';

export function useLive<P extends PathOf<'GET'>>(route: P, ...args: [...Args<Op<'GET', P>>, { everyMs?: number; skip?: boolean; keepPrevious?: boolean }?]): { data: ResponseOf<'GET', P> | undefined; stale: boolean; error: string; reload: () => void } {
  const [opts, live] = args as unknown as [{ params?: unknown; query?: unknown } | undefined, { everyMs?: number; skip?: boolean; keepPrevious?: boolean } | undefined];
  const key = url(route, opts);
  const everyMs = live?.everyMs ?? 3000;
  const skip = live?.skip ?? false;
  const keepPrevious = live?.keepPrevious ?? false;
  // Held untyped: TypeScript cannot relate the generic answer type to itself through useState.
  const [box, setBox] = useState<{ key: string; data: unknown }>();
  const [error, setError] = useState('');
  const etag = useRef<{ key: string; etag: string | undefined }>({ key, etag: undefined });
  // An answer to a query the page has moved on from (a slow search overtaken by the next keystroke) is dropped.
  const latest = useRef(key);
  latest.current = key;
  const reload = useCallback(() => {
    if (skip) return;
    const last = etag.current.key === key ? etag.current.etag : undefined;
    (getIfChanged as (r: string, e: string | undefined, o?: unknown) => Promise<{ data: unknown; etag: string | undefined }>)(route, last, opts).then(
      (r) => {
        if (latest.current !== key) return;
        etag.current = { key, etag: r.etag };
        if (r.data !== undefined) setBox({ key, data: r.data });
        setError('');
      },
      (e: unknown) => latest.current === key && setError(e instanceof ApiError ? e.message : 'the hub cannot be reached; retrying'),
    );
    // The key stands for the route and its options.
  }, [key, skip]);
  useEffect(() => {
    if (!keepPrevious) setBox(undefined);
    reload();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs, keepPrevious]);
  return { data: box?.data as ResponseOf<'GET', P> | undefined, stale: box !== undefined && box.key !== key, error, reload };
}
