/**
 * Access to the reference Python (Debian's /usr/bin/python3 with python3-torch, python3-sklearn, python3-pil).
 *
 * `pythonWith(modules, aptPackages)` returns the interpreter path when every module imports. When a module
 * is missing and we run as root on Debian, the apt packages are installed first. Otherwise it returns a
 * loud skip reason; under CI=true a missing reference is a failure, never a skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { aptInstall } from "./apt.js";
import { skipLoudly } from "./skip.js";

export const PYTHON = "/usr/bin/python3";

function importsOk(modules: readonly string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" });
  return r.status === 0;
}

export type PythonResult = { ok: true; python: string } | { ok: false; reason: string };

/** Make sure /usr/bin/python3 can import `modules`, installing `aptPackages` as root on Debian if needed. */
export function pythonWith(modules: readonly string[], aptPackages: readonly string[]): PythonResult {
  if (importsOk(modules) || (aptInstall(aptPackages) && importsOk(modules))) return { ok: true, python: PYTHON };
  return {
    ok: false,
    reason:
      `SKIPPED LOUDLY: ${PYTHON} cannot import ${modules.join(", ")}. ` +
      `Install Debian's ${aptPackages.join(" ")} (apt-get install ${aptPackages.join(" ")}) to run this reference check.`,
  };
}

/**
 * For use in a test: returns the python path, or marks the test skipped (and fails under CI=true).
 * @example const py = requirePython(t, ["torch"], ["python3-torch"]); if (!py) return;
 */
export function requirePython(
  t: { skip: (msg?: string) => void },
  modules: readonly string[],
  aptPackages: readonly string[],
): string | undefined {
  const r = pythonWith(modules, aptPackages);
  if (r.ok) return r.python;
  skipLoudly(t, r.reason);
  return undefined;
}
