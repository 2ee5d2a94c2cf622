/** Setting up the webgpu backend in tests: Dawn on a GPU, or headless on Mesa's llvmpipe (OpenGL ES). */
import { initBackend } from "../../src/backend/index.js";
import { MESA_PACKAGES } from "../../src/backend/webgpu.js";
import { aptInstall } from "./apt.js";
import { skipLoudly } from "./skip.js";

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
  skipLoudly(t, `webgpu backend not available: ${error}`); // the error names the missing package or driver
  return false;
}
