/** Counts uses of cpu (JavaScript) fallback kernels by the native backend, for `nativeBackendReport()`. */
import { FallbackCounter } from "../kernel_registry.js";

/** The native backend's fallback uses. */
export const nativeFallbacks = new FallbackCounter();

/** Fallback uses so far: kernel name → calls, most used first. */
export const nativeFallbackCounts = (): ReadonlyMap<string, number> => nativeFallbacks.counts();
