/** Setting up the webgpu backend in tests: Dawn on a GPU, or headless on Mesa's llvmpipe (OpenGL ES). */
import { initBackend } from "../../src/backend/index.js";
import { aptInstall } from "./apt.js";
import { skipLoudly } from "./skip.js";

/** Mesa's EGL + OpenGL ES drivers: Dawn's OpenGL ES backend on llvmpipe, where no GPU is present. */
export const MESA_PACKAGES = ["libegl1", "libegl-mesa0", "libgles2", "libgl1-mesa-dri"] as const;

/**
 * Activate the "webgpu" backend. When no adapter is found, installs Mesa's EGL/GLES drivers as root on
 * Debian and tries again; otherwise skips `t` loudly (a failure under CI=true).
 * @returns true when the backend is active.
 */
export async function useWebgpu(t: { skip: (msg?: string) => void }): Promise<boolean> {
  const attempt = async () => {
    try {
      await initBackend({ force: "webgpu", quiet: true });
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  let error = await attempt();
  if (error !== undefined && aptInstall(MESA_PACKAGES)) error = await attempt();
  if (error === undefined) return true;
  skipLoudly(t, `webgpu backend not available: ${error}. Install the optional packages (npm install) and a WebGPU driver (on Debian without a GPU: apt-get install ${MESA_PACKAGES.join(" ")})`);
  return false;
}
