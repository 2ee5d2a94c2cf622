/**
 * A small RFC-4180 CSV reader for the dataset tables: reads `.csv` or gzip (`.csv.gz`, detected by magic
 * bytes), accepts LF and CRLF, strips a UTF-8 BOM, drops empty trailing header cells (the legacy NIH
 * file and the Kaggle copy end their lines with commas), and maps columns by header name with
 * aliases. Rows with the wrong number of cells or broken quoting are skipped and counted in a
 * {@link LoadReport}; an unbalanced quote (which would swallow the following rows) stops the load with a
 * {@link DataFormatError} naming the file and line.
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

/** Options of {@link parseCsvText} / {@link readCsv}. */
export interface CsvOptions {
  /**
   * Allow quoted cells that hold line breaks (RFC 4180). Default false: none of the dataset tables has
   * multi-line cells, so a quote still open at the end of its line is an unbalanced quote, and the load
   * stops with a {@link DataFormatError} naming the line, instead of the quoted cell swallowing the
   * following rows.
   */
  readonly multiline?: boolean;
}

/** A record that broke the CSV syntax (skipped and counted as "malformed row" by {@link readCsv}). */
export interface CsvMalformed {
  /** 1-based physical line where the record starts. */
  readonly line: number;
  /** What is wrong, e.g. `characters after a closing quote in cell 3`. */
  readonly detail: string;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * Split CSV text into records (RFC 4180: quoted cells may hold commas and quotes `""`; line breaks only with
 * `multiline`). Blank lines are dropped. Returns each record with its 1-based starting line, and the
 * records that break the syntax (`"abc"x`: characters after a closing quote; `ab"c`: a quote inside an
 * unquoted cell), which are left out of `records`: with `multiline` off, every non-blank physical line is
 * exactly one entry of `records` or `malformed`.
 * @param file named in errors
 * @throws DataFormatError naming the file, the line where the quote opened and the column, when a quoted
 *   cell is never closed (the rest of the file would become one cell), or, without `multiline`, is not
 *   closed on its own line
 * @example parseCsvText('a,b\r\n1,"x,y"\n') // records [["a","b"],["1","x,y"]], lines [1, 2], malformed []
 */
export function parseCsvText(text: string, file = "<csv text>", opts: CsvOptions = {}): { records: string[][]; lines: number[]; malformed: CsvMalformed[] } {
  const multiline = opts.multiline ?? false;
  const records: string[][] = [];
  const lines: number[] = [];
  const malformed: CsvMalformed[] = [];
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
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      if (end > pos) {
        records.push(text.slice(pos, end).split(","));
        lines.push(line);
      }
      pos = nl + 1;
      line++;
      continue;
    }
    // Slow path: one record, cell by cell.
    const startLine = line;
    const cells: string[] = [];
    let bad = "";
    let i = pos;
    for (;;) {
      let cell: string;
      if (text.charCodeAt(i) === QUOTE) {
        // Quoted cell: up to the closing quote (`""` is an escaped quote).
        const openLine = line;
        cell = "";
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          const lineEnd = multiline || q < 0 ? -1 : text.indexOf("\n", j);
          if (q < 0 || (lineEnd >= 0 && lineEnd < q)) throw unbalancedQuote(text, file, i, openLine, q, cells.length, records[0]);
          const part = text.slice(j, q);
          if (multiline) for (let k = part.indexOf("\n"); k >= 0; k = part.indexOf("\n", k + 1)) line++;
          cell += part;
          if (text.charCodeAt(q + 1) === QUOTE) {
            cell += '"';
            j = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const c = text.charCodeAt(i);
        if (!(i >= n || c === COMMA || c === LF || (c === CR && text.charCodeAt(i + 1) === LF))) {
          bad = `characters after a closing quote in cell ${cells.length + 1}`;
        }
      } else {
        // Unquoted cell: up to the next comma or line end; a quote inside it breaks RFC 4180.
        let j = i;
        let c = text.charCodeAt(j);
        while (j < n && c !== COMMA && c !== LF) {
          if (c === QUOTE && bad === "") bad = `a quote inside unquoted cell ${cells.length + 1}`;
          c = text.charCodeAt(++j);
        }
        cell = text.slice(i, j > i && text.charCodeAt(j - 1) === CR && (j === n || c === LF) ? j - 1 : j);
        i = j;
      }
      if (bad !== "") break;
      cells.push(cell);
      if (i < n && text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      break;
    }
    if (bad !== "") {
      malformed.push({ line: startLine, detail: bad });
      // Resume at the next physical line.
      const e = text.indexOf("\n", i);
      i = e < 0 ? n : e;
    } else {
      records.push(cells);
      lines.push(startLine);
      if (text.charCodeAt(i) === CR) i++; // CRLF after a closing quote
    }
    // `i` is at the line feed ending the record (or past the end).
    pos = i + 1;
    line++;
  }
  return { records, lines, malformed };
}

/**
 * The error for the quote at `open` (on line `openLine`, in cell `cellIndex`) that is never closed (`close` < 0)
 * or not closed on its own line (the next quote is at `close`).
 */
function unbalancedQuote(text: string, file: string, open: number, openLine: number, close: number, cellIndex: number, header: readonly string[] | undefined): DataFormatError {
  const column = header?.[cellIndex]?.trim() || undefined;
  const where = column !== undefined ? "" : ` (cell ${cellIndex + 1})`;
  const fix = `close the quote or remove it (line ${openLine})`;
  if (close < 0) {
    return new DataFormatError(file, `unterminated quote: the quoted cell opened on line ${openLine}${where} is never closed, so the rest of the file would be read as one cell`, fix, column);
  }
  let closeLine = openLine;
  for (let k = text.indexOf("\n", open); k >= 0 && k < close; k = text.indexOf("\n", k + 1)) closeLine++;
  return new DataFormatError(
    file,
    `unbalanced quote: the quoted cell opened on line ${openLine}${where} is not closed on that line (the next quote is on line ${closeLine}, so lines ${openLine + 1}-${closeLine} would be swallowed); this table has no multi-line cells`,
    fix,
    column,
  );
}

/**
 * Read a CSV file into a {@link CsvTable}. Records with fewer cells than the header, with extra non-empty
 * cells, or that break the CSV syntax (`"abc"x`, `ab"c`) are skipped and counted in `report` under
 * "malformed row" with their line.
 * @param file path to a `.csv` or `.csv.gz`
 * @param report receives skipped-row counts (created when omitted)
 * @throws DataFormatError naming the file and line when the header is malformed or a quote is unbalanced
 *   (see {@link parseCsvText}); a missing or empty file
 * @example const t = readCsv("Data_Entry_2017.csv"); t.header[0] // "Image Index"
 */
export function readCsv(file: string, report: LoadReport = new LoadReport(file), opts: CsvOptions = {}): CsvTable {
  const { records, lines, malformed } = parseCsvText(readTextFile(file), file, opts);
  const first = records[0];
  const firstBad = malformed[0];
  if (firstBad !== undefined && (first === undefined || firstBad.line < lines[0]!)) {
    throw new DataFormatError(file, `malformed header on line ${firstBad.line}: ${firstBad.detail}`, "restore the dataset's original header line");
  }
  if (first === undefined) throw new DataFormatError(file, "the file is empty (no header row)", "check that the file was fully downloaded");
  const header = first.map((h) => h.trim());
  while (header.length > 0 && header[header.length - 1] === "") header.pop();
  const rows: string[][] = [];
  const keptLines: number[] = [];
  let recordCount = 0;
  let m = 0;
  const flushMalformed = (upTo: number) => {
    for (; m < malformed.length && malformed[m]!.line < upTo; m++) {
      recordCount++;
      report.skip("malformed row", { file, line: malformed[m]!.line, detail: malformed[m]!.detail });
    }
  };
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const line = lines[r]!;
    flushMalformed(line);
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
  flushMalformed(Infinity);
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
