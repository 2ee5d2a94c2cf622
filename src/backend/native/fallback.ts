/** Counts uses of cpu (JavaScript) fallback kernels by the native backend, for `nativeBackendReport()`. */
const uses = new Map<string, number>();

/** Record one use of a cpu fallback kernel (also for dtypes or attributes a native kernel does not cover). */
export function countFallback(name: string): void {
  uses.set(name, (uses.get(name) ?? 0) + 1);
}

/** Fallback uses so far: kernel name → calls, most used first. */
export function nativeFallbackCounts(): ReadonlyMap<string, number> {
  return new Map([...uses.entries()].sort((a, b) => b[1] - a[1]));
}
