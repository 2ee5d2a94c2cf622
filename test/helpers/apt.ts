/** Installing a test's outside tools from Debian's archive, only when running as root on Debian. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Tests may apt-get: root on Debian (or a derivative), unless MMSN_TEST_APT=0 (set where there is no network: the device tool's machine). */
export function mayAptInstall(): boolean {
  return process.env.MMSN_TEST_APT !== "0" && process.getuid?.() === 0 && existsSync("/etc/debian_version") && existsSync("/usr/bin/apt-get");
}

/**
 * `apt-get install` the packages (after `apt-get update` if the first try fails) when root on Debian.
 * @returns false when not root on Debian or the install failed; true once apt-get succeeded.
 */
export function aptInstall(packages: readonly string[]): boolean {
  if (!mayAptInstall()) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", ...packages], { stdio: "ignore", env });
  try {
    install();
    return true;
  } catch {
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
      install();
      return true;
    } catch {
      return false;
    }
  }
}
