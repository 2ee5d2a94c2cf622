/**
 * OpenBLAS core-type fix shared by the addons: the machine images of this project export
 * OPENBLAS_CORETYPE=Haswell, which limits OpenBLAS to AVX2 and halves sgemm on AVX-512 CPUs. OpenBLAS
 * reads the variable when the library loads, so call this before `require`-ing an addon.
 */
import { existsSync, readFileSync } from "node:fs";

/** Upgrade OPENBLAS_CORETYPE=Haswell to SkylakeX on CPUs with AVX-512 (no-op otherwise). */
export function fixOpenBlasCoreType(): void {
  if (process.env.OPENBLAS_CORETYPE === "Haswell" && existsSync("/proc/cpuinfo") && /\bavx512f\b/.test(readFileSync("/proc/cpuinfo", "utf8"))) {
    process.env.OPENBLAS_CORETYPE = "SkylakeX";
  }
}
