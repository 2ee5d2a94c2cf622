/** Runtime validation of typed option objects: unknown keys throw (a typo must not fall back to a default). */

/**
 * Throw if `opts` has a key that is not in `allowed`.
 * @param where name of the function or option group, used in the message
 * @example checkKeys({ sed: 1 }, ["seed"], "loadNih14"); // throws: unknown option "sed"
 */
export function checkKeys(opts: object, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) {
      throw new Error(`${where}: unknown option "${k}". Valid options: ${allowed.join(", ")}`);
    }
  }
}
