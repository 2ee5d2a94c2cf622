/**
 * The CUDA device addon itself (native/cuda): it builds and loads on a machine without a GPU and says why
 * it cannot use one; the nvcc-built fatbin holds the GPU code it promises (sm_80 and sm_90 machine code,
 * compute_90 PTX); on the device (the GPU when there is one, else the host reference device), buffers are checked (no out-of-bounds access from a wrong
 * size, no double free), uploads of every size round-trip, the caching allocator reuses blocks, and the two-pass paths of long reductions and
 * of LayerNorm's dγ/dβ agree with float64 sums. Kernel-by-kernel parity with tfjs-backend-cpu is in
 * cuda_kernels.test.ts, a whole MSN step in cuda_step.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { type CudaAddon, cublasCandidates, cudaKernelsPath, loadCudaAddon } from "../../src/backend/cuda/addon.js";
import { initBackend } from "../../src/backend/index.js";
import { Rng } from "../../src/utils/rng.js";
import { skipLoudly } from "../helpers/skip.js";

/** The entries of a CUDA fatbin: kind (ELF machine code or PTX) and target architecture. */
function fatbinEntries(bytes: Buffer): { kind: "elf" | "ptx"; arch: number }[] {
  assert.equal(bytes.readUInt32LE(0), 0xba55ed50, "fatbin magic");
  const headerSize = bytes.readUInt16LE(6);
  const end = headerSize + Number(bytes.readBigUInt64LE(8));
  const out: { kind: "elf" | "ptx"; arch: number }[] = [];
  for (let off = headerSize; off < end; ) {
    const kind = bytes.readUInt16LE(off);
    const entryHeader = bytes.readUInt32LE(off + 4);
    const payload = Number(bytes.readBigUInt64LE(off + 8));
    out.push({ kind: kind === 2 ? "elf" : "ptx", arch: bytes.readUInt32LE(off + 28) });
    off += entryHeader + payload;
  }
  return out;
}

const nvccPresent = () => ["nvcc", "/usr/local/cuda/bin/nvcc"].some((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);

let addon: CudaAddon | undefined;
let why = "";

describe("CUDA device addon", () => {
  before(() => {
    try {
      addon = loadCudaAddon();
    } catch (e) {
      why = (e as Error).message;
    }
  });

  it("loads without a GPU and says why it cannot use one; automatic selection then skips cuda", async (t) => {
    if (!addon) return skipLoudly(t, why);
    const p = addon.probe();
    if (p.ok) {
      assert.ok(p.devices.length > 0 && p.devices[0]!.cc.match(/^\d+\.\d+$/), JSON.stringify(p));
      return;
    }
    assert.match(p.reason, /libcuda\.so\.1 not found|cuInit failed|no CUDA device/);
    assert.deepEqual(p.devices, []);
    const info = await initBackend({ force: "", quiet: true }); // the automatic choice, whatever MMSN_BACKEND says
    assert.notEqual(info.name, "cuda");
    assert.match(info.skipped.cuda ?? "", /libcuda\.so\.1 not found|cuInit failed|no CUDA device/);
  });

  it("the fatbin holds sm_80 and sm_90 machine code and compute_90 PTX", (t) => {
    const path = cudaKernelsPath();
    if (!path || !existsSync(path)) {
      if (nvccPresent()) assert.fail("nvcc is installed but npm install built no native/cuda/build/mmsn_kernels.fatbin");
      return skipLoudly(t, "nvcc is not installed: the CUDA kernels were not built");
    }
    const entries = fatbinEntries(readFileSync(path));
    assert.deepEqual(entries.filter((e) => e.kind === "elf").map((e) => e.arch).sort(), [80, 90]);
    assert.deepEqual(entries.filter((e) => e.kind === "ptx").map((e) => e.arch), [90]);
  });

  describe("the device (a GPU when there is one, else the host reference device)", () => {
    let a: CudaAddon;
    const f32 = (n: number) => a.alloc(4 * n);
    const put = (v: Float32Array) => {
      const b = f32(v.length);
      a.upload(b, v);
      return b;
    };
    const get = (b: number, n: number) => {
      const o = new Float32Array(n);
      a.download(b, o);
      return o;
    };

    before(() => {
      if (!addon) return;
      a = addon;
      const gpu = addon.probe().ok;
      const info = gpu ? a.open({ device: "cuda", math: "fp32", kernels: cudaKernelsPath()!, cublas: cublasCandidates() }) : a.open({ device: "host" });
      assert.equal(info.device, gpu ? "cuda" : "host");
    });

    it("checks buffer sizes and liveness instead of reading out of bounds", (t) => {
      if (!addon) return skipLoudly(t, why);
      const x = f32(10);
      const y = f32(10);
      assert.throws(() => a.unary(0, 0, x, y, 11), /has 40 bytes, the kernel needs 44/);
      assert.throws(() => a.copyBlock([2, 3], [2, 3], [1, 0], [2, 3], [0, 0], x, y), /does not fit in the source/);
      assert.throws(() => a.transpose([2, 3], [0, 0], x, y), /not a permutation/);
      a.free(x);
      assert.throws(() => a.unary(0, 0, x, y, 1), /not a live buffer/);
      assert.throws(() => a.free(x), /not live \(freed twice\?\)/);
      a.free(y);
    });

    it("uploads round-trip at every size: in a kernel's parameters up to 256 bytes, by copy above", (t) => {
      if (!addon) return skipLoudly(t, why);
      for (const n of [1, 2, 3, 63, 64, 65, 255, 256, 257, 4096]) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
        const b = a.alloc(n);
        a.upload(b, bytes);
        const back = new Uint8Array(n);
        a.download(b, back);
        assert.deepEqual(back, bytes, `${n} bytes`);
        a.free(b);
      }
      const v = Float32Array.from({ length: 64 }, (_, i) => i - 0.5); // 256 bytes of float32: the largest kernel-parameter upload
      const b = put(v);
      assert.deepEqual(get(b, 64), v);
      a.free(b);
      a.emptyCache(); // leave the allocator as the next test expects it
    });

    it("reuses freed blocks (caching allocator) and counts live buffers", (t) => {
      if (!addon) return skipLoudly(t, why);
      const m0 = a.memory();
      const b = f32(1000);
      a.free(b);
      const m1 = a.memory();
      assert.equal(m1.buffers, m0.buffers);
      assert.ok(m1.cachedBytes >= 4000);
      const c = f32(1000); // same rounded size: from the cache
      assert.equal(a.memory().cachedBytes, m0.cachedBytes);
      a.free(c);
      a.emptyCache();
      assert.equal(a.memory().cachedBytes, 0);
    });

    it("long reductions over few outputs (two passes) match float64 sums", (t) => {
      if (!addon) return skipLoudly(t, why);
      const rng = new Rng(3);
      for (const [outer, r, inner] of [[1, 100_003, 1], [3, 5000, 1], [1, 2000, 7], [2, 777, 300]] as const) {
        const x = rng.uniformArray(outer * r * inner, -1, 1);
        const xb = put(x);
        for (const [op, name] of [[0, "sum"], [1, "mean"], [2, "max"]] as const) {
          const yb = f32(outer * inner);
          a.reduce(op, outer, r, inner, xb, yb);
          const y = get(yb, outer * inner);
          for (let o = 0; o < outer; o++)
            for (let i = 0; i < inner; i++) {
              let s = 0;
              let mx = -Infinity;
              for (let j = 0; j < r; j++) {
                const v = x[(o * r + j) * inner + i]!;
                s += v;
                mx = Math.max(mx, v);
              }
              const want = name === "sum" ? s : name === "mean" ? s / r : mx;
              assert.ok(Math.abs(y[o * inner + i]! - want) <= 1e-5 * Math.max(1, Math.abs(want)) * (name === "sum" ? Math.sqrt(r) : 1), `${name} [${outer},${r},${inner}]: ${y[o * inner + i]} vs ${want}`);
            }
          a.free(yb);
        }
        a.free(xb);
      }
    });

    it("LayerNorm backward: dγ and dβ over many rows (chunked column sums) match float64 sums", (t) => {
      if (!addon) return skipLoudly(t, why);
      const rng = new Rng(5);
      const [rows, d] = [3001, 24];
      const dy = rng.uniformArray(rows * d, -1, 1);
      const xhat = rng.uniformArray(rows * d, -2, 2);
      const bufs = [put(dy), put(xhat), put(rng.uniformArray(rows, 0.5, 2)), put(rng.uniformArray(d, 0.5, 1.5))];
      const [dx, dg, db] = [f32(rows * d), f32(d), f32(d)];
      a.layerNormBwd(rows, d, bufs[0]!, bufs[1]!, bufs[2]!, bufs[3]!, dx, dg, db);
      const [g, b] = [get(dg, d), get(db, d)];
      for (let j = 0; j < d; j++) {
        let sg = 0;
        let sb = 0;
        for (let r = 0; r < rows; r++) {
          sg += dy[r * d + j]! * xhat[r * d + j]!;
          sb += dy[r * d + j]!;
        }
        assert.ok(Math.abs(g[j]! - sg) < 1e-3 && Math.abs(b[j]! - sb) < 1e-3, `column ${j}: ${g[j]} vs ${sg}, ${b[j]} vs ${sb}`);
      }
      for (const x of [...bufs, dx, dg, db]) a.free(x);
    });
  });
});
