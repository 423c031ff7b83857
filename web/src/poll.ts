// Loads a page's data and reloads it every few seconds while the page is shown, so changes appear without a reload.
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from './api.ts';

export function usePolled<T>(load: () => Promise<T>, everyMs = 5000): { data: T | undefined; error: string; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState('');
  const reload = useCallback(() => {
    load().then(
      (d) => {
        setData(d);
        setError('');
      },
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'the hub cannot be reached; retrying'),
    );
  }, [load]);
  useEffect(() => {
    reload();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
  return { data, error, reload };
}
