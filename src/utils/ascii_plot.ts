/** A small text line chart for terminals and logs. */

/** Plot `ys` as `height` rows of text, with min/max labels. */
export function asciiPlot(ys: readonly number[], opts: { width?: number; height?: number; label?: string } = {}): string {
  const width = Math.min(opts.width ?? 60, ys.length);
  const height = opts.height ?? 10;
  if (ys.length === 0) return "(no data)";
  const cols = Array.from({ length: width }, (_, i) => {
    const a = Math.floor((i * ys.length) / width);
    const b = Math.max(a + 1, Math.floor(((i + 1) * ys.length) / width));
    const seg = ys.slice(a, b);
    return seg.reduce((s, y) => s + y, 0) / seg.length;
  });
  const lo = Math.min(...cols);
  const hi = Math.max(...cols);
  const span = hi - lo || 1;
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const line = cols.map((y) => (Math.round(((y - lo) / span) * (height - 1)) === r ? "•" : " ")).join("");
    const tick = r === height - 1 ? hi.toFixed(3) : r === 0 ? lo.toFixed(3) : "";
    rows.push(`${tick.padStart(8)} |${line}`);
  }
  rows.push(`${"".padStart(8)} +${"-".repeat(width)}`);
  if (opts.label) rows.push(`${"".padStart(10)}${opts.label}`);
  return rows.join("\n");
}
