/**
 * Preprocessing cache: converts a dataset once into compact uint8 shards (each image resized so its shorter
 * side is `shortSide`, aspect kept) plus a JSON manifest. Parallel (`concurrency` images in flight through
 * sharp), resumable (finished shards are kept and skipped; a shard is committed by renaming its files only
 * after they are fully written), idempotent (same inputs → same bytes), with a progress bar on stderr.
 * Images that fail to decode are listed in the manifest's `failed` and skipped.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { readGrayImage } from "./image.js";
import { toUint8, type GrayImage } from "./image_types.js";
import { checkOptionKeys } from "../src/utils/validate.js";
import { writeFileAtomic } from "../src/utils/atomic.js";

/** One input of {@link buildCache}. */
export interface CacheItem {
  readonly id: string;
  readonly path: string;
}

/** Options of {@link buildCache}. Unknown keys throw. */
export interface CacheOptions {
  /** Output folder. */
  readonly outDir: string;
  /** Shorter side of cached images (never upsampled). Default 256. */
  readonly shortSide?: number;
  /** Images per shard. Default 512. */
  readonly shardSize?: number;
  /** Images decoded concurrently. Default 4. */
  readonly concurrency?: number;
  /** Show a progress bar on stderr. Default: when stderr is a TTY. */
  readonly progress?: boolean;
}

const CACHE_KEYS = ["outDir", "shortSide", "shardSize", "concurrency", "progress"];

/** A cached image's location. */
export interface CacheEntry {
  readonly id: string;
  readonly shard: number;
  readonly offset: number;
  readonly width: number;
  readonly height: number;
}

/** The cache manifest (`manifest.json`). */
export interface CacheManifest {
  readonly version: 1;
  readonly shortSide: number;
  readonly shardSize: number;
  readonly entries: CacheEntry[];
  readonly failed: { id: string; path: string; reason: string }[];
}

const shardName = (k: number) => `shard-${String(k).padStart(5, "0")}`;

/**
 * Build (or resume) a cache.
 * @returns the manifest, and how many shards were written now vs reused
 * @example await buildCache(ds.ids.map((id, i) => ({ id, path: ds.paths[i]! })), { outDir: ".cache/nih256" });
 */
export async function buildCache(items: readonly CacheItem[], opts: CacheOptions): Promise<{ manifest: CacheManifest; written: number; reused: number }> {
  checkOptionKeys(opts, CACHE_KEYS, "buildCache");
  const shortSide = opts.shortSide ?? 256;
  const shardSize = opts.shardSize ?? 512;
  const concurrency = opts.concurrency ?? 4;
  const showBar = opts.progress ?? process.stderr.isTTY === true;
  mkdirSync(opts.outDir, { recursive: true });
  const entries: CacheEntry[] = [];
  const failed: CacheManifest["failed"] = [];
  const nShards = Math.ceil(items.length / shardSize);
  let written = 0;
  let reused = 0;
  let done = 0;
  const t0 = Date.now();
  const bar = () => {
    if (!showBar) return;
    const f = items.length ? done / items.length : 1;
    const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
    process.stderr.write(`\r[${"#".repeat(Math.round(f * 30)).padEnd(30)}] ${done}/${items.length} ${rate.toFixed(1)} img/s`);
  };
  for (let k = 0; k < nShards; k++) {
    const part = items.slice(k * shardSize, (k + 1) * shardSize);
    const base = path.join(opts.outDir, shardName(k));
    const meta = `${base}.json`;
    if (existsSync(meta) && existsSync(`${base}.bin`)) {
      const prev = JSON.parse(readFileSync(meta, "utf8")) as { shortSide: number; ids: string[]; entries: CacheEntry[]; failed: CacheManifest["failed"] };
      if (prev.shortSide === shortSide && prev.ids.join("\n") === part.map((p) => p.id).join("\n")) {
        entries.push(...prev.entries);
        failed.push(...prev.failed);
        reused++;
        done += part.length;
        bar();
        continue;
      }
    }
    // Decode with bounded concurrency, keeping input order.
    const imgs: (GrayImage | string)[] = new Array(part.length);
    let next = 0;
    const worker = async () => {
      while (next < part.length) {
        const i = next++;
        try {
          imgs[i] = toUint8(await readGrayImage(part[i]!.path, { shortSide }));
        } catch (e) {
          imgs[i] = e instanceof Error ? e.message : String(e);
        }
        done++;
        bar();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, part.length) }, worker));
    const shardEntries: CacheEntry[] = [];
    const shardFailed: CacheManifest["failed"] = [];
    const chunks: Uint8Array[] = [];
    let offset = 0;
    part.forEach((it, i) => {
      const img = imgs[i]!;
      if (typeof img === "string") {
        shardFailed.push({ id: it.id, path: it.path, reason: img });
        return;
      }
      shardEntries.push({ id: it.id, shard: k, offset, width: img.width, height: img.height });
      chunks.push(img.data as Uint8Array);
      offset += img.data.length;
    });
    const bin = new Uint8Array(offset);
    let o = 0;
    for (const c of chunks) {
      bin.set(c, o);
      o += c.length;
    }
    writeFileAtomic(`${base}.bin`, bin);
    writeFileAtomic(meta, JSON.stringify({ shortSide, ids: part.map((p) => p.id), entries: shardEntries, failed: shardFailed }));
    entries.push(...shardEntries);
    failed.push(...shardFailed);
    written++;
  }
  if (showBar) process.stderr.write("\n");
  const manifest: CacheManifest = { version: 1, shortSide, shardSize, entries, failed };
  writeFileAtomic(path.join(opts.outDir, "manifest.json"), JSON.stringify(manifest));
  return { manifest, written, reused };
}

/**
 * Open a built cache as an image source (shards are read once and kept in memory).
 * @example const src = openCache(".cache/nih256"); const img = await src.read(0);
 */
export function openCache(dir: string): { length: number; ids: readonly string[]; manifest: CacheManifest; read(i: number): Promise<GrayImage>; describe(i: number): string } {
  const file = path.join(dir, "manifest.json");
  if (!existsSync(file)) throw new Error(`${file}: cache manifest not found. Fix: run buildCache first`);
  const manifest = JSON.parse(readFileSync(file, "utf8")) as CacheManifest;
  const shards = new Map<number, Uint8Array>();
  const shard = (k: number) => {
    let s = shards.get(k);
    if (!s) {
      const b = readFileSync(path.join(dir, `${shardName(k)}.bin`));
      s = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      shards.set(k, s);
    }
    return s;
  };
  return {
    length: manifest.entries.length,
    ids: manifest.entries.map((e) => e.id),
    manifest,
    describe: (i) => manifest.entries[i]?.id ?? String(i),
    read: async (i) => {
      const e = manifest.entries[i];
      if (!e) throw new RangeError(`openCache: index ${i} out of range`);
      const data = shard(e.shard).subarray(e.offset, e.offset + e.width * e.height);
      return { width: e.width, height: e.height, data, bitDepth: 8 };
    },
  };
}
