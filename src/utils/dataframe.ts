/**
 * DataFrames through danfojs-node, an optional peer dependency loaded on first use. The package's types never
 * name danfojs's own types (they would break consumers that compile with `skipLibCheck: false` and do not
 * install danfojs-node): {@link DataFrameLike} is the part of a danfojs `DataFrame` that the package documents;
 * the object is a full danfojs `DataFrame` (cast it: `df as unknown as dfd.DataFrame`).
 */

/** The members of a danfojs-node `DataFrame` the package relies on (the object returned is a full DataFrame). */
export interface DataFrameLike {
  /** Column names, in order. */
  readonly columns: string[];
  /** `[rows, columns]`. */
  readonly shape: number[];
  /** One column as a danfojs Series. */
  column(name: string): { readonly values: unknown[] };
  /** Print the table to the console. */
  print(): void;
}

/** How to install danfojs-node in a project: its own dependencies need two overrides to install from the registry. */
export const DANFOJS_INSTALL =
  'npm install danfojs-node@1.2.0, with "overrides": { "xlsx": "npm:@e965/xlsx@0.20.3", "@tensorflow/tfjs-node": "npm:@tensorflow/tfjs@4.22.0" } ' +
  "in your package.json (danfojs-node 1.2.0 fetches xlsx from cdn.sheetjs.com and tfjs-node downloads libtensorflow, both outside the npm registry)";

/**
 * A danfojs-node DataFrame of `rows` (danfojs-node is imported here, ~1.5 s the first time).
 * @param where the calling function, named in the error
 * @throws Error naming the install command when danfojs-node is not installed
 */
export async function dataFrame(rows: readonly (readonly unknown[])[], columns: readonly string[], where: string): Promise<DataFrameLike> {
  let dfd: typeof import("danfojs-node");
  try {
    dfd = await import("danfojs-node");
  } catch (e) {
    throw new Error(`${where}: DataFrames need the optional peer dependency danfojs-node, which is not installed (${(e as Error).message.split("\n")[0]}). ` +
      `Fix: ${DANFOJS_INSTALL}; or use the plain arrays/CSV this package returns without it.`);
  }
  return new dfd.DataFrame(rows.length > 0 ? rows.map((r) => [...r]) : [], { columns: [...columns] }) as unknown as DataFrameLike;
}
