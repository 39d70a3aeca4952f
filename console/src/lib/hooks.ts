import { useCallback, useEffect, useRef, useState } from 'react';

/** The current time, refreshed every `everyMs` so "time left" stays true on a page left open. */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export type Loaded<T> = { state: 'loading'; data?: T } | { state: 'done'; data: T; at: Date } | { state: 'failed'; error: unknown; data?: T };

/**
 * Runs `load` whenever `key` changes or `reload()` is called, keeping the last data on screen while the
 * next load runs (a refresh does not blank the page); an answer that arrives after a newer request is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const n = ++latest.current;
    setResult((r) => ({ state: 'loading', ...(r.data !== undefined ? { data: r.data } : {}) }));
    loadRef.current().then(
      (data) => { if (n === latest.current) setResult({ state: 'done', data, at: new Date() }); },
      (error: unknown) => { if (n === latest.current) setResult((r) => ({ state: 'failed', error, ...(r.data !== undefined ? { data: r.data } : {}) })); },
    );
  }, [key, tick]);
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return [result, reload];
}
