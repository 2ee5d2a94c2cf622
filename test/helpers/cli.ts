/** The `mmsn` CLI run in-process by the CLI tests. */
import { main } from "../../app/cli/main.js";

/** Run `mmsn …argv` in this process and return what it printed on stdout (console.log). */
export async function mmsn(...argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  try {
    await main(argv);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}
