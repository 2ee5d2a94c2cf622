/**
 * Run-time checks for option objects of the evaluation API: JSON/CLI input is not seen by the compiler.
 */

/** Throw if `opts` has keys that `allowed` does not list; the message names the valid keys. */
export function checkKeys(opts: object | undefined, allowed: readonly string[], where: string): void {
  if (opts === undefined) return;
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new Error(`${where}: unknown option "${k}"; valid options: ${allowed.join(", ")}`);
  }
}

/** Throw unless `v` is an integer in [min, max]; returns `v`. */
export function checkInteger(v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** Throw unless `v` is a finite number in [min, max]; returns `v`. */
export function checkFinite(v: number, name: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${name} must be a finite number in [${min}, ${max}], got ${v}`);
  }
  return v;
}
