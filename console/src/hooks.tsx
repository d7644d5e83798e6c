import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when `deps` change (and on `reload`, or when `refresh` changes), keeping the last answer or error (a reload
 * keeps the last answer on screen meanwhile). An answer that arrives after newer deps were asked for
 * is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refresh = 0): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const lastKey = useRef<string | undefined>(undefined);
  useEffect(() => {
    const mine = ++seq.current;
    // A reload keeps showing what it has; other deps (another contract, another report) start blank.
    const key = JSON.stringify(deps);
    const same = key === lastKey.current;
    lastKey.current = key;
    setState((s) => (same ? { ...s, loading: true } : { loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: Error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [...deps, tick, refresh]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** The wall clock, ticking every `ms` (for live countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
