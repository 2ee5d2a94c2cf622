/** Counts uses of cpu (JavaScript) fallback kernels by the native backend, for `nativeBackendReport()`. */
import { FallbackCounter } from "../kernel_registry.js";

/** The native backend's fallback uses. */
export const nativeFallbacks = new FallbackCounter();

/** Record one use of a cpu fallback kernel (also for dtypes or attributes a native kernel does not cover). */
export const countFallback = (name: string): void => nativeFallbacks.count(name);

/** Fallback uses so far: kernel name → calls, most used first. */
export const nativeFallbackCounts = (): ReadonlyMap<string, number> => nativeFallbacks.counts();
