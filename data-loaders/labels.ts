/**
 * Label spaces and the CheXpert-style value parser. Labels are float32: 1 positive, 0 negative,
 * NaN = ignore (excluded from the loss and from AUROC).
 */

/** The 14 CheXpert/MIMIC-CXR labels in the order the paper's code uses (alphabetical, as in the MIMIC label CSVs). */
export const CHEXPERT_LABELS = [
  "Atelectasis",
  "Cardiomegaly",
  "Consolidation",
  "Edema",
  "Enlarged Cardiomediastinum",
  "Fracture",
  "Lung Lesion",
  "Lung Opacity",
  "No Finding",
  "Pleural Effusion",
  "Pleural Other",
  "Pneumonia",
  "Pneumothorax",
  "Support Devices",
] as const;

/** One CheXpert/MIMIC label name. */
export type ChexpertLabel = (typeof CHEXPERT_LABELS)[number];

/** The 14 NIH ChestX-ray14 labels, alphabetical (the paper's MultiLabelBinarizer order). Note `Pleural_Thickening`. */
export const NIH14_LABELS = [
  "Atelectasis",
  "Cardiomegaly",
  "Consolidation",
  "Edema",
  "Effusion",
  "Emphysema",
  "Fibrosis",
  "Hernia",
  "Infiltration",
  "Mass",
  "Nodule",
  "Pleural_Thickening",
  "Pneumonia",
  "Pneumothorax",
] as const;

/** One NIH-14 label name. */
export type Nih14Label = (typeof NIH14_LABELS)[number];

/**
 * What an uncertain (-1) label becomes: `zeros` → 0 (U-Zeros, the paper), `ones` → 1 (U-Ones),
 * `ignore` → NaN (U-Ignore: masked out of loss and AUROC).
 */
export type UncertaintyPolicy = "zeros" | "ones" | "ignore";

/** What a blank (not mentioned) label becomes: `zeros` → 0 (the paper, LibAUC) or `ignore` → NaN (torchxrayvision). */
export type BlankPolicy = "zeros" | "ignore";

/** Label policy: one uncertainty policy for all labels, or per label (missing labels use `default`). */
export interface LabelPolicy {
  /** Policy for -1, either one for all labels or a per-label map with a default. */
  readonly uncertain: UncertaintyPolicy | { readonly default: UncertaintyPolicy; readonly [label: string]: UncertaintyPolicy };
  /** Policy for blank cells. */
  readonly blank: BlankPolicy;
}

/** The paper's policy (`evaluate.py`): blank → 0 and -1 → 0 (U-Zeros). */
export const PAPER_LABEL_POLICY: LabelPolicy = { uncertain: "zeros", blank: "zeros" };

/** Raw meaning of one CheXpert-encoded cell. */
export type RawLabel = 1 | 0 | -1 | "blank";

/**
 * Parse a CheXpert-encoded cell (`1.0`, `0.0`, `-1.0`, `1`, `0`, `-1`, blank). Returns `undefined` for
 * any other value (the caller skips the row and counts it as an unknown label value).
 * @example parseLabelCell("-1.0") // -1
 */
export function parseLabelCell(cell: string): RawLabel | undefined {
  const s = cell.trim();
  if (s === "") return "blank";
  switch (s) {
    case "1":
    case "1.0":
      return 1;
    case "0":
    case "0.0":
      return 0;
    case "-1":
    case "-1.0":
      return -1;
    default:
      return undefined;
  }
}

/**
 * Apply a {@link LabelPolicy} to one raw value of `label`.
 * @example applyPolicy(-1, "Edema", { uncertain: "ones", blank: "zeros" }) // 1
 */
export function applyPolicy(raw: RawLabel, label: string, policy: LabelPolicy): number {
  if (raw === 1 || raw === 0) return raw;
  if (raw === "blank") return policy.blank === "zeros" ? 0 : NaN;
  const u = typeof policy.uncertain === "string" ? policy.uncertain : (policy.uncertain[label] ?? policy.uncertain.default);
  return u === "zeros" ? 0 : u === "ones" ? 1 : NaN;
}

/** Validate a {@link LabelPolicy} read from user input; throws on unknown values or labels. */
export function checkLabelPolicy(policy: LabelPolicy, labels: readonly string[]): void {
  const okU = ["zeros", "ones", "ignore"];
  if (!["zeros", "ignore"].includes(policy.blank)) throw new Error(`label policy: blank must be "zeros" or "ignore", got "${String(policy.blank)}"`);
  if (typeof policy.uncertain === "string") {
    if (!okU.includes(policy.uncertain)) throw new Error(`label policy: uncertain must be one of ${okU.join(", ")}, got "${policy.uncertain}"`);
    return;
  }
  for (const [k, v] of Object.entries(policy.uncertain)) {
    if (k !== "default" && !labels.includes(k)) throw new Error(`label policy: unknown label "${k}". Valid labels: ${labels.join(", ")}`);
    if (!okU.includes(v)) throw new Error(`label policy: uncertain["${k}"] must be one of ${okU.join(", ")}, got "${v}"`);
  }
}
