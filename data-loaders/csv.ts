/**
 * A small RFC-4180 CSV reader for the dataset tables: reads `.csv` or gzip (`.csv.gz`, detected by magic
 * bytes), accepts LF and CRLF, strips a UTF-8 BOM, drops empty trailing header cells (the legacy NIH
 * file and the Kaggle copy end their lines with commas), and maps columns by header name with
 * aliases. Rows with the wrong number of cells are skipped and counted in a {@link LoadReport}.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { DataFormatError, LoadReport } from "./report.js";

/** A parsed CSV file: header cells, data records and the physical line of each record. */
export interface CsvTable {
  /** Path of the file the table was read from. */
  readonly file: string;
  /** Header cells, trimmed, with empty trailing cells removed. */
  readonly header: readonly string[];
  /** Data records with exactly `header.length` cells (extra empty trailing cells removed). */
  readonly rows: readonly string[][];
  /** 1-based physical line where each kept record starts. */
  readonly lines: readonly number[];
  /** Non-blank data records in the file, including the malformed ones that were skipped. */
  readonly recordCount: number;
}

/**
 * Read a text file that may be gzip-compressed. Throws an Error naming the file when it is missing.
 * @example const text = readTextFile("admissions.csv.gz");
 */
export function readTextFile(file: string): string {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new DataFormatError(file, "file not found", "check the dataset root and the file name (both .csv and .csv.gz are accepted)");
  }
  const raw = readFileSync(file);
  let buf = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      const z = gunzipSync(buf);
      buf = new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
    } catch (e) {
      throw new DataFormatError(file, `corrupt gzip data (${(e as Error).message})`, "re-download or re-compress the file");
    }
  }
  let text = new TextDecoder("utf-8").decode(buf);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/**
 * Split CSV text into records (RFC 4180: quoted cells may hold commas, quotes `""` and newlines).
 * Blank lines are dropped. Returns each record with its 1-based starting line.
 * @example parseCsvText('a,b\r\n1,"x,y"\n') // records [["a","b"],["1","x,y"]]
 */
export function parseCsvText(text: string): { records: string[][]; lines: number[] } {
  const records: string[][] = [];
  const lines: number[] = [];
  const n = text.length;
  let pos = 0;
  let line = 1;
  // Position of the next quote at or after `pos` (cached: searching from every line is quadratic).
  let quote = -2;
  while (pos < n) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = n;
    if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos);
    if (quote < 0 || quote > nl) {
      // Fast path: no quotes in this line.
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      if (end > pos) {
        records.push(text.slice(pos, end).split(","));
        lines.push(line);
      }
      pos = nl + 1;
      line++;
      continue;
    }
    // Slow path: character state machine for one record.
    const startLine = line;
    const cells: string[] = [];
    let cell = "";
    let inQuotes = false;
    let i = pos;
    for (; i < n; i++) {
      const c = text[i]!;
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i++;
          } else inQuotes = false;
        } else {
          if (c === "\n") line++;
          cell += c;
        }
      } else if (c === '"') inQuotes = true;
      else if (c === ",") {
        cells.push(cell);
        cell = "";
      } else if (c === "\n") break;
      else if (c === "\r" && text[i + 1] === "\n") continue;
      else cell += c;
    }
    cells.push(cell);
    records.push(cells);
    lines.push(startLine);
    pos = i + 1;
    line++;
  }
  return { records, lines };
}

/**
 * Read a CSV file into a {@link CsvTable}. Records with fewer cells than the header, or with extra
 * non-empty cells, are skipped and counted in `report` under "malformed row".
 * @param file path to a `.csv` or `.csv.gz`
 * @param report receives skipped-row counts (created when omitted)
 * @example const t = readCsv("Data_Entry_2017.csv"); t.header[0] // "Image Index"
 */
export function readCsv(file: string, report: LoadReport = new LoadReport(file)): CsvTable {
  const { records, lines } = parseCsvText(readTextFile(file));
  const first = records[0];
  if (first === undefined) throw new DataFormatError(file, "the file is empty (no header row)", "check that the file was fully downloaded");
  const header = first.map((h) => h.trim());
  while (header.length > 0 && header[header.length - 1] === "") header.pop();
  const rows: string[][] = [];
  const keptLines: number[] = [];
  let recordCount = 0;
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const line = lines[r]!;
    if (rec.length === 1 && rec[0]!.trim() === "") continue;
    recordCount++;
    if (rec.length < header.length || rec.slice(header.length).some((c) => c.trim() !== "")) {
      report.skip("malformed row", { file, line, detail: `${rec.length} cells, expected ${header.length}` });
      continue;
    }
    if (rec.length > header.length) rec.length = header.length;
    rows.push(rec);
    keptLines.push(line);
  }
  return { file, header, rows, lines: keptLines, recordCount };
}

/**
 * Index of a required column, trying each alias in order. Throws a {@link DataFormatError} naming the
 * file and the column when none is present.
 * @param names the column name followed by accepted aliases, e.g. `["Patient Gender", "Patient Sex"]`
 * @example const c = requireColumn(table, ["Image Index"]);
 */
export function requireColumn(table: CsvTable, names: readonly string[]): number {
  const i = optionalColumn(table, names);
  if (i >= 0) return i;
  throw new DataFormatError(
    table.file,
    `required column missing; header is [${table.header.join(", ")}]`,
    `use the dataset's original file, or rename the column to "${names[0]}"` +
      (names.length > 1 ? ` (accepted aliases: ${names.slice(1).join(", ")})` : ""),
    names[0],
  );
}

/** Index of the first present column among `names`, or -1. */
export function optionalColumn(table: CsvTable, names: readonly string[]): number {
  for (const name of names) {
    const i = table.header.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Read a plain list file (one entry per line, LF or CRLF, blank lines ignored), e.g. NIH's test_list.txt.
 * @example readListFile("test_list.txt")[0] // "00000003_000.png"
 */
export function readListFile(file: string): string[] {
  return readTextFile(file)
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Serialise rows to CSV text (RFC 4180 quoting when needed, LF line endings, trailing newline).
 * @example toCsvText(["a","b"], [[1,"x,y"]]) // 'a,b\n1,"x,y"\n'
 */
export function toCsvText(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const esc = (v: string | number): string => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(esc).join(",")).join("\n") + "\n";
}
