import { afterAll, beforeAll } from 'vitest';

interface UseOptions {
  /** The start's own timeout, for a resource slower to start than the hook timeout allows. */
  timeout?: number;
  /** What an error names when the resource is read before its start. */
  name?: string;
}

/**
 * A stand-in for a value that exists only once `beforeAll` has run: every property read (or
 * method call) goes to the value, so the tests read `h.url` as if it were the value itself.
 * Read before the start, it says so instead of failing on `undefined`.
 */
function standIn<T extends object>(current: () => T | undefined, what: string): T {
  const value = (): T => {
    const v = current();
    if (v === undefined) throw new Error(`${what} is used before its beforeAll started it`);
    return v;
  };
  return new Proxy({} as T, {
    get(_target, key) {
      const v = value();
      const field: unknown = Reflect.get(v, key);
      return typeof field === 'function' ? (field as (...a: unknown[]) => unknown).bind(v) : field;
    },
    set: (_target, key, to) => Reflect.set(value(), key, to),
    has: (_target, key) => Reflect.has(value(), key),
    ownKeys: () => Reflect.ownKeys(value()),
    getOwnPropertyDescriptor(_target, key) {
      const d = Reflect.getOwnPropertyDescriptor(value(), key);
      return d && { ...d, configurable: true };
    },
  });
}

/**
 * Starts a resource before the tests of the enclosing file (or `describe`) and closes it after
 * them: the wiring every test file used to write as `let x; beforeAll(…); afterAll(x?.close())`.
 * Resources close in the reverse order of their `use…` lines (vitest runs `afterAll` hooks as a
 * stack), so one started from another's address is closed first. A resource whose start failed
 * is not closed.
 */
export function useResource<T extends { close(): unknown }>(
  start: () => Promise<T>,
  opts?: UseOptions & { close?: (value: T) => unknown },
): T;
export function useResource<T extends object>(
  start: () => Promise<T>,
  opts: UseOptions & { close: ((value: T) => unknown) | null },
): T;
export function useResource<T extends object>(
  start: () => Promise<T>,
  opts: UseOptions & { close?: ((value: T) => unknown) | null } = {},
): T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  }, opts.timeout);
  afterAll(async () => {
    if (value === undefined) return;
    if (opts.close) await opts.close(value);
    else if (opts.close !== null) await (value as unknown as { close(): unknown }).close();
  }, opts.timeout);
  return standIn(() => value, opts.name ?? 'a resource');
}
