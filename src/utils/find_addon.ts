/**
 * Where this package's optional N-API addons are after `npm install` (native/build.mjs): found by walking
 * up from the calling module, so the same code works from the TypeScript sources (tsx) and from dist/.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Path of a built addon, or undefined when it is not built.
 * @param relPath path under the package root, e.g. "native/build/Release/mmsn_native.node"
 * @param from `import.meta.url` of the caller (the walk starts there)
 */
export function findAddon(relPath: string, from: string): string | undefined {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, relPath);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * A memoised loader of an optional addon: the module at `relPath` ({@link findAddon} from `from`), or null when
 * it is not built, does not load, or `disabled()` (read on the first call, e.g. an environment switch) is true.
 * @example const pngDecoder = optionalAddon<PngAddon>("native/jpeg/build/Release/mmsn_png.node", import.meta.url, () => process.env.MMSN_PNG === "sharp");
 */
export function optionalAddon<T>(relPath: string, from: string, disabled: () => boolean = () => false): () => T | null {
  let addon: T | null | undefined;
  return () => {
    if (addon !== undefined) return addon;
    addon = null;
    const p = disabled() ? undefined : findAddon(relPath, from);
    if (p) {
      try {
        addon = createRequire(from)(p) as T;
      } catch {
        addon = null;
      }
    }
    return addon;
  };
}
