/**
 * EHR group selection of the study (paper-and-code.md §2): `none` (vanilla MSN), one group, a combination,
 * or all three. The names mirror `data-loaders`' `EhrGroup` (the library does not import the loaders).
 */

/** The paper's EHR feature groups, in their canonical (CSV) order. */
export const EHR_GROUP_NAMES = ["demographic", "scan", "inpatient"] as const;
/** One of {@link EHR_GROUP_NAMES}. */
export type EhrGroupName = (typeof EHR_GROUP_NAMES)[number];

/**
 * Parse an `--ehr` value: `none` (vanilla MSN, returns []), `all`, or a comma list of groups.
 * The result is deduplicated and in canonical order.
 * @throws Error listing the valid groups for an unknown name or an empty list.
 * @example parseEhrGroups("scan,demographic") // ["demographic", "scan"]
 */
export function parseEhrGroups(spec: string): EhrGroupName[] {
  const s = spec.trim();
  if (s === "none") return [];
  if (s === "all") return [...EHR_GROUP_NAMES];
  const items = s.split(",").map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new Error(`--ehr is empty; valid EHR groups: ${EHR_GROUP_NAMES.join(", ")} (comma-separated), or "all", or "none" for vanilla MSN`);
  for (const it of items) {
    if (!(EHR_GROUP_NAMES as readonly string[]).includes(it)) {
      throw new Error(`unknown EHR group "${it}"; valid EHR groups: ${EHR_GROUP_NAMES.join(", ")} (comma-separated), or "all", or "none" for vanilla MSN`);
    }
  }
  return EHR_GROUP_NAMES.filter((g) => items.includes(g));
}

/** Display name of a method pretrained with `groups`: "MSN" or "MSN+EHR(demographic+scan)". */
export function methodName(groups: readonly EhrGroupName[]): string {
  return groups.length === 0 ? "MSN" : `MSN+EHR(${groups.join("+")})`;
}

/**
 * Every non-empty combination of the groups (the ablation of paper §2): singles, pairs, then all three.
 * @example ehrCombinations().length // 7
 */
export function ehrCombinations(): EhrGroupName[][] {
  const out: EhrGroupName[][] = [];
  const n = EHR_GROUP_NAMES.length;
  for (let mask = 1; mask < 1 << n; mask++) out.push(EHR_GROUP_NAMES.filter((_, i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length);
}
