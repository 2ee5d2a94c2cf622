/** The README's fenced code blocks, for the tests that run them (not a test file itself). */
import { readFileSync } from "node:fs";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "../..");

/** One fenced block: its info string (language), its text, the heading it sits under and its first line. */
export interface ReadmeBlock {
  readonly lang: string;
  readonly code: string;
  readonly section: string;
  readonly line: number;
}

/** Every fenced block of README.md, in order. */
export function readmeBlocks(file = path.join(REPO, "README.md")): ReadmeBlock[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: ReadmeBlock[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("#")) section = l.replace(/^#+\s*/, "");
    const open = /^```(.*)$/.exec(l);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    blocks.push({ lang: open[1]!.trim(), code: lines.slice(i + 1, end).join("\n") + "\n", section, line: i + 1 });
    i = end;
  }
  return blocks;
}

/** The ```ts block under "## API", as written (imports of "multimodal-msn" as a user writes them). */
export function readmeApiExample(): string {
  const api = readmeBlocks().filter((b) => b.section === "API" && b.lang === "ts");
  if (api.length !== 1) throw new Error(`README.md: expected one \`\`\`ts block under ## API, found ${api.length}`);
  return api[0]!.code;
}
