/**
 * EHR group selection of the study: `none` (vanilla MSN), one group, a combination, or all three. The groups
 * themselves (`EHR_GROUPS`, their variables and columns) are defined once, in `data-loaders/ehr_features.ts`.
 */
import { EHR_GROUPS, type EhrGroup } from "../../data-loaders/ehr_features.js";

/**
 * Parse an `--ehr` value: `none` (vanilla MSN, returns []), `all`, or a comma list of groups.
 * The result is deduplicated and in canonical order.
 * @throws Error listing the valid groups for an unknown name or an empty list.
 * @example parseEhrGroups("scan,demographic") // ["demographic", "scan"]
 */
export function parseEhrGroups(spec: string): EhrGroup[] {
  const s = spec.trim();
  if (s === "none") return [];
  if (s === "all") return [...EHR_GROUPS];
  const items = s.split(",").map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new Error(`--ehr is empty; valid EHR groups: ${EHR_GROUPS.join(", ")} (comma-separated), or "all", or "none" for vanilla MSN`);
  for (const it of items) {
    if (!(EHR_GROUPS as readonly string[]).includes(it)) {
      throw new Error(`unknown EHR group "${it}"; valid EHR groups: ${EHR_GROUPS.join(", ")} (comma-separated), or "all", or "none" for vanilla MSN`);
    }
  }
  return EHR_GROUPS.filter((g) => items.includes(g));
}

/** Display name of a method pretrained with `groups`: "MSN" or "MSN+EHR(demographic+scan)". */
export function methodName(groups: readonly EhrGroup[]): string {
  return groups.length === 0 ? "MSN" : `MSN+EHR(${groups.join("+")})`;
}

/**
 * Every non-empty combination of the groups (the paper's EHR ablation; docs/data-formats.md#ehr-groups): singles, pairs, then all three.
 * @example ehrCombinations().length // 7
 */
export function ehrCombinations(): EhrGroup[][] {
  const out: EhrGroup[][] = [];
  const n = EHR_GROUPS.length;
  for (let mask = 1; mask < 1 << n; mask++) out.push(EHR_GROUPS.filter((_, i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length);
}
