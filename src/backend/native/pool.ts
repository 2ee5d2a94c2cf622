/**
 * Recycling of large float32 tensor buffers. A fresh 40 MB Float32Array costs ~15 ms of page faults on
 * first touch, several times the kernel that fills it, and a training step allocates thousands of them
 * with the same sizes every step. Buffers that native kernels allocate are returned here when tfjs
 * disposes their tensor and handed out again, uninitialised, for the next output of the same length.
 * Safe because the native backend never lets a pooled buffer escape or be shared: `readSync` returns a
 * copy, and a view into (or a second use of) a pooled buffer that a cpu fallback kernel (Slice, SplitV…)
 * hands to storage is copied there (`adopt`, used by NativeBackend.write and move).
 */
import { totalmem } from "node:os";

/** Buffers shorter than this are left to V8 (cheap to allocate, not worth tracking). */
const MIN_LENGTH = 1 << 14;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<Float32Array>();
  private readonly memory = new WeakSet<ArrayBufferLike>();
  private pooledBytes = 0;
  /** Most bytes kept idle (MMSN_NATIVE_POOL_MB; default a quarter of RAM, at most 8 GB). */
  readonly capBytes: number;

  constructor() {
    const mb = Number(process.env.MMSN_NATIVE_POOL_MB);
    this.capBytes = Number.isFinite(mb) && mb >= 0 ? mb * 2 ** 20 : Math.min(8 * 2 ** 30, totalmem() / 4);
  }

  /** A Float32Array of `length` elements with arbitrary contents; the caller must write every element. */
  take(length: number): Float32Array {
    if (length < MIN_LENGTH) return new Float32Array(length);
    const list = this.free.get(length);
    const hit = list?.pop();
    if (hit) {
      this.pooledBytes -= hit.byteLength;
      return hit;
    }
    const fresh = new Float32Array(length);
    this.owned.add(fresh);
    this.memory.add(fresh.buffer);
    return fresh;
  }

  /** Whether `v` is a buffer of this pool (then it must not be handed to user code). */
  owns(v: unknown): v is Float32Array {
    return v instanceof Float32Array && this.owned.has(v);
  }

  /** Whether `v` is a pooled buffer or a view into one. */
  sharesMemory(v: unknown): v is Float32Array {
    return v instanceof Float32Array && this.memory.has(v.buffer);
  }

  /** Return a buffer whose tensor was disposed. */
  give(v: Float32Array): void {
    if (this.pooledBytes + v.byteLength > this.capBytes) return;
    let list = this.free.get(v.length);
    if (!list) this.free.set(v.length, (list = []));
    list.push(v);
    this.pooledBytes += v.byteLength;
  }

  /** Drop every idle buffer (V8 frees them at the next GC). */
  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }

  /** Idle bytes held. */
  get idleBytes(): number {
    return this.pooledBytes;
  }
}
