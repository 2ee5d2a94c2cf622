/**
 * Score rankings shared by the point metrics and the bootstrap: one label column, NaN labels dropped, rows
 * sorted once by score (ascending) and cut into groups of tied scores. Every metric here is a single pass
 * over these groups, so a bootstrap resample needs only per-row weights, never a new sort.
 */

/** One label column sorted by score, ascending, with tied scores grouped. */
export interface Ranking {
  /** Row indices (into the original column) of the rows with a 0/1 label, in ascending score order. */
  readonly order: Int32Array;
  /** 1 where the row at that sorted position is positive, else 0 (same positions as `order`). */
  readonly isPos: Uint8Array;
  /** Start offsets of tie groups into `order`, plus a final entry equal to `order.length`. */
  readonly groupStart: Int32Array;
  /** Number of positive rows. */
  readonly nPos: number;
  /** Number of negative rows. */
  readonly nNeg: number;
  /** Rows with a NaN (missing) label, dropped. */
  readonly nMissing: number;
}

/**
 * Build the ranking of one column. Labels must be 0, 1 or NaN (NaN = missing, ignored); scores must not be
 * NaN (±Infinity is allowed and ranks at the ends).
 * @param yTrue labels, read at `offset + i * stride` for i in [0, n).
 * @param yScore scores, same indexing.
 * @example const r = rankColumn([0, 1, 1], [0.1, 0.4, 0.4]); r.groupStart; // Int32Array [0, 1, 3]
 */
export function rankColumn(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  n = yTrue.length,
  offset = 0,
  stride = 1,
): Ranking {
  if (stride === 1 && offset === 0 && (yTrue.length !== n || yScore.length !== n)) {
    throw new Error(`rankColumn: yTrue has ${yTrue.length} values but yScore has ${yScore.length}`);
  }
  let valid = 0;
  let nMissing = 0;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = offset + i * stride;
    const y = yTrue[k]!;
    const s = yScore[k]!;
    if (Number.isNaN(s)) throw new Error(`rankColumn: score at row ${i} is NaN; scores must be numbers`);
    if (Number.isNaN(y)) {
      nMissing++;
      continue;
    }
    if (y !== 0 && y !== 1) throw new Error(`rankColumn: label at row ${i} is ${y}; labels must be 0, 1 or NaN`);
    rows[valid++] = i;
  }
  const order = rows.slice(0, valid);
  // Ascending score; ties keep row order (the metrics do not depend on the order inside a tie group).
  const keys = new Float64Array(n);
  for (let i = 0; i < valid; i++) keys[order[i]!] = yScore[offset + order[i]! * stride]!;
  order.sort((a, b) => keys[a]! - keys[b]! || a - b);

  const isPos = new Uint8Array(valid);
  const starts: number[] = [];
  let nPos = 0;
  for (let j = 0; j < valid; j++) {
    const r = order[j]!;
    const y = yTrue[offset + r * stride]!;
    isPos[j] = y;
    nPos += y;
    if (j === 0 || keys[r]! !== keys[order[j - 1]!]!) starts.push(j);
  }
  starts.push(valid);
  return { order, isPos, groupStart: Int32Array.from(starts), nPos, nNeg: valid - nPos, nMissing };
}

/**
 * AUROC and average precision of a ranking from per-row weights (a bootstrap resample gives each row the
 * number of times it was drawn; all-ones weights give the plain metrics). Returns NaN for both when the
 * weighted data have one class only.
 *
 * AUROC = P(score_pos > score_neg) + ½ P(tie), summed over tie groups in ascending order: each group adds
 * (its positive weight) × (negative weight strictly below + half the negative weight inside the group).
 * AP = Σ over thresholds, high to low, of (recall gained) × (precision at that threshold); a tie group is a
 * single threshold, which is the step-wise (non-interpolated) definition.
 * @param weights per original row, or `undefined` for all ones.
 * @param out a 2-element array receiving [auroc, averagePrecision]; returned for chaining.
 */
export function rankedMetrics(r: Ranking, weights: ArrayLike<number> | undefined, out: Float64Array): Float64Array {
  const { order, isPos, groupStart } = r;
  const nGroups = groupStart.length - 1;
  // Pass 1: totals (needed by precision in the ascending AP formulation below).
  let totPos = 0;
  let totNeg = 0;
  if (weights === undefined) {
    totPos = r.nPos;
    totNeg = r.nNeg;
  } else {
    for (let j = 0; j < order.length; j++) {
      const w = weights[order[j]!]!;
      if (isPos[j] === 1) totPos += w;
      else totNeg += w;
    }
  }
  if (totPos === 0 || totNeg === 0) {
    out[0] = NaN;
    out[1] = NaN;
    return out;
  }
  // Pass 2: ascending over tie groups. At group g, rows with score >= s_g are predicted positive:
  // tp = totPos - posBelow, fp = totNeg - negBelow.
  let aucNum = 0;
  let apSum = 0;
  let posBelow = 0;
  let negBelow = 0;
  for (let g = 0; g < nGroups; g++) {
    let gp = 0;
    let gn = 0;
    const end = groupStart[g + 1]!;
    for (let j = groupStart[g]!; j < end; j++) {
      const w = weights === undefined ? 1 : weights[order[j]!]!;
      if (isPos[j] === 1) gp += w;
      else gn += w;
    }
    if (gp > 0) {
      aucNum += gp * (negBelow + 0.5 * gn);
      const tp = totPos - posBelow;
      apSum += gp * (tp / (tp + totNeg - negBelow));
    }
    posBelow += gp;
    negBelow += gn;
  }
  out[0] = aucNum / (totPos * totNeg);
  out[1] = apSum / totPos;
  return out;
}
