import { useEffect, useState, useSyncExternalStore } from 'react';
import { connection, type ConnectionState } from '../client';
import { session, type SessionUser } from '../session';

export function useConnection(): ConnectionState {
  return useSyncExternalStore(connection.subscribe, () => connection.state);
}

export function useSessionUser(): SessionUser | null {
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.user,
  );
}

/** A value that changes at most every `ms`, for search boxes. */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export const timeOf = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return 'Something went wrong';
}
