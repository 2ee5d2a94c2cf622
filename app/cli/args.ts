/**
 * Typed flags for the `mmsn` subcommands: each command declares its flags once (type, default, choices,
 * help); the same declaration parses the command line, reads an optional JSON config file (`--config
 * FILE`, keys are the flag names in kebab-case or camelCase), and prints `--help`. Flags on the command
 * line override the config file. Unknown flags or keys and bad values fail with the valid choices.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { MSN_PRESET_NAMES, type MsnPresetName } from "../../src/config/msn.js";

/** One flag of a command. */
export interface FlagSpec {
  readonly type: "string" | "int" | "number" | "bool" | "choice" | "list";
  /** Valid values of `choice` flags and of the items of `list` flags. */
  readonly choices?: readonly string[];
  /** Smallest valid value of `int`/`number` flags. */
  readonly min?: number;
  readonly default?: string | number | boolean;
  /** Value name in the help text, e.g. "DIR". */
  readonly meta?: string;
  readonly help: string;
}

/** A command: usage line, description, positional argument names and flags. */
export interface CommandSpec {
  readonly usage: string;
  readonly description: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Names of positional arguments (in order); extra positionals are an error unless `variadic` is set. */
  readonly positionals?: readonly string[];
  /** Name under which every positional after `positionals` is collected (a string list). */
  readonly variadic?: string;
}

/** Parsed values: flag name (kebab-case) → value; positionals by name. */
export type ParsedArgs = Record<string, string | number | boolean | string[] | undefined>;

/** kebab-case → camelCase (flag names to option keys). */
export const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

/** The `--help` text of a command, generated from its flags. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const lines = [`mmsn ${name} ${spec.usage}`, spec.description, "", "options:"];
  const all: [string, FlagSpec][] = [...Object.entries(spec.flags), ["config", { type: "string", meta: "FILE", help: "JSON file of options (keys = flag names); flags override it" }]];
  for (const [k, f] of all) {
    const meta = f.type === "bool" ? "" : ` ${f.meta ?? (f.type === "choice" ? f.choices!.join("|") : f.type === "list" ? "A,B" : f.type.toUpperCase())}`;
    const extra = [
      f.type === "list" && f.choices ? `items: ${f.choices.join(", ")}` : "",
      f.default !== undefined ? `default ${String(f.default)}` : "",
    ].filter(Boolean).join("; ");
    const left = `  --${k}${meta}`;
    lines.push((left.length >= 32 ? left + "\n" + " ".repeat(34) : left.padEnd(34)) + f.help + (extra ? ` (${extra})` : ""));
  }
  return lines.join("\n");
}

/** Convert and check one value of flag `name`. */
function convert(name: string, f: FlagSpec, raw: unknown): string | number | boolean | string[] {
  const bad = (why: string) => new Error(`--${name} ${why}, got ${JSON.stringify(raw)}`);
  switch (f.type) {
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "false") return raw === "true";
      throw bad("must be true or false");
    case "int":
    case "number": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      if (!Number.isFinite(n) || (f.type === "int" && !Number.isInteger(n))) throw bad(`must be ${f.type === "int" ? "an integer" : "a number"}`);
      if (f.min !== undefined && n < f.min) throw bad(`must be ≥ ${f.min}`);
      return n;
    }
    case "choice": {
      const s = String(raw);
      if (!f.choices!.includes(s)) throw bad(`must be one of ${f.choices!.join(", ")}`);
      return s;
    }
    case "list": {
      const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(",").map((x) => x.trim()).filter(Boolean);
      if (f.choices) for (const it of items) if (!f.choices.includes(it)) throw new Error(`--${name}: unknown value "${it}"; valid values: ${f.choices.join(", ")}`);
      return items;
    }
    case "string":
      if (typeof raw !== "string") throw bad("must be a string");
      return raw;
  }
}

/**
 * Parse `argv` (the arguments after the command name) against `spec`.
 * @throws Error naming the flag and its valid values for unknown flags, unknown config keys and bad values.
 * @example parseCommand("probe", PROBE_SPEC, ["--data", "cohort", "--dataset", "mimic"])
 */
export function parseCommand(name: string, spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" }, config: { type: "string" } };
  for (const [k, f] of Object.entries(spec.flags)) options[k] = { type: f.type === "bool" ? "boolean" : "string" };
  // Boolean flags also take `--flag=true|false` and `--no-flag` (parseArgs alone accepts only `--flag`).
  const boolOverrides: Record<string, boolean> = {};
  // `--steps -1`: a value that starts with "-" would read as an option (parseArgs: "argument is ambiguous");
  // join it to its flag so the value check can say what is wrong with it.
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--([a-z0-9-]+)$/.exec(argv[i]!)?.[1];
    const next = argv[i + 1];
    if (flag !== undefined && spec.flags[flag] !== undefined && spec.flags[flag]!.type !== "bool" && next !== undefined && /^-[0-9.]/.test(next)) {
      joined.push(`--${flag}=${next}`);
      i++;
    } else joined.push(argv[i]!);
  }
  const args = joined.filter((arg) => {
    const m = /^--(no-)?([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return true;
    const [, no, key, val] = m;
    if (spec.flags[key!]?.type !== "bool" || (no === undefined && val === undefined)) return true;
    if (no !== undefined && val !== undefined) return true;
    boolOverrides[key!] = no !== undefined ? false : (convert(key!, spec.flags[key!]!, val) as boolean);
    return false;
  });
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true }) as typeof parsed;
    Object.assign(parsed.values, boolOverrides);
  } catch (e) {
    const valid = Object.keys(spec.flags).map((k) => `--${k}`).join(", ");
    throw new Error(`${name}: ${(e as Error).message.split("\n")[0]}; valid options: ${valid}, --config, --help`);
  }
  const out: ParsedArgs = {};
  if (parsed.values.help) return { help: true };
  const pos = spec.positionals ?? [];
  if (parsed.positionals.length > pos.length && !spec.variadic) throw new Error(`${name}: unexpected argument "${parsed.positionals[pos.length]}"; usage: mmsn ${name} ${spec.usage}`);
  pos.forEach((p, i) => (out[p] = parsed.positionals[i]));
  if (spec.variadic) out[spec.variadic] = parsed.positionals.slice(pos.length);
  const fromFile: Record<string, unknown> = {};
  const cfg = parsed.values.config;
  if (typeof cfg === "string") {
    if (!existsSync(cfg)) throw new Error(`--config ${cfg}: no such file`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(cfg, "utf8"));
    } catch (e) {
      throw new Error(`--config ${cfg}: not valid JSON (${(e as Error).message})`);
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error(`--config ${cfg}: must hold a JSON object`);
    for (const [k, v] of Object.entries(json)) {
      const key = kebab(k);
      if (!(key in spec.flags)) throw new Error(`--config ${cfg}: unknown key "${k}"; valid keys: ${Object.keys(spec.flags).map(camel).join(", ")}`);
      fromFile[key] = v;
    }
  }
  for (const [k, f] of Object.entries(spec.flags)) {
    const raw = parsed.values[k] ?? fromFile[k];
    out[k] = raw !== undefined ? convert(k, f, raw) : f.default !== undefined ? convert(k, f, f.default) : undefined;
  }
  return out;
}

/** Typed accessors for parsed values (throw when a required value is missing). */
export const get = {
  str(a: ParsedArgs, k: string): string | undefined {
    const v = a[k];
    return typeof v === "string" ? v : undefined;
  },
  req(a: ParsedArgs, k: string, hint = ""): string {
    const v = a[k];
    if (typeof v !== "string" || v === "") throw new Error(`--${k} is required${hint ? `; ${hint}` : ""}`);
    return v;
  },
  num(a: ParsedArgs, k: string): number | undefined {
    const v = a[k];
    return typeof v === "number" ? v : undefined;
  },
  bool(a: ParsedArgs, k: string): boolean {
    return a[k] === true;
  },
  list(a: ParsedArgs, k: string): string[] | undefined {
    const v = a[k];
    return Array.isArray(v) ? v : undefined;
  },
};

/** `--preset` value checked against the MSN presets (the message lists the valid ones). */
export function checkPreset(name: string): MsnPresetName {
  if (!(MSN_PRESET_NAMES as string[]).includes(name)) throw new Error(`--preset "${name}" is not a preset; valid presets: ${MSN_PRESET_NAMES.join(", ")}`);
  return name as MsnPresetName;
}
