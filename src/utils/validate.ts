/**
 * Typed configs, checked at run time too: JSON files and CLI flags are not seen by the compiler.
 * Every error names the field and the valid values.
 */

/** Throw if `obj` has keys that `allowed` does not list. `where` names the config in the message. */
export function rejectUnknownKeys(obj: object, allowed: readonly string[], where: string, noun: "key" | "option" = "key"): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new Error(`${where}: unknown ${noun} "${k}"; valid ${noun}s: ${allowed.join(", ")}`);
    }
  }
}

/**
 * The options object of a function (absent is fine): unknown keys throw, naming the valid options, so a
 * typo never falls back to a default.
 * @example checkOptionKeys({ sed: 1 }, ["seed"], "loadNih14"); // throws: loadNih14: unknown option "sed"; valid options: seed
 */
export function checkOptionKeys(opts: object | undefined, allowed: readonly string[], where: string): void {
  if (opts !== undefined) rejectUnknownKeys(opts, allowed, where, "option");
}

/** Throw unless `v` is an integer in [min, max]. */
export function checkInt(v: unknown, field: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Throw unless `v` is a finite number in [min, max]. */
export function checkNumber(v: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${field} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Throw unless `v` is one of `choices`. */
export function checkChoice<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new Error(`${field} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Throw unless `v` is a boolean. */
export function checkBool(v: unknown, field: string): boolean {
  if (typeof v !== "boolean") throw new Error(`${field} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
