"""Pillow side of `bench/preprocess.ts`: decode + resize (shorter side 256) + MSN views (2 random views at
224, scale 0.3-1, and 10 focal views at 96, scale 0.05-0.3, flip 0.5, RGB ImageNet-normalised float32),
the same work as the TypeScript pipeline. PROCS = 1 runs in this process; PROCS > 1 runs the images on a
multiprocessing.Pool of PROCS processes (warmed up first). Each image gets its own seeded rng.
Prints {"images": n, "seconds": wall, "cpu_seconds": CPU time of the processes that did the work} and, with
PROCS = 1, "best_round_cpu_seconds": the CPU time of the cheapest round of the files.
Usage: /usr/bin/python3 loaders_pillow_bench.py ROUNDS PROCS FILE..."""
import json, math, multiprocessing, random, sys, time
import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)

def rrc_box(rng, w, h, scale):
    area = w * h
    for _ in range(10):
        t = area * rng.uniform(*scale)
        ar = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        cw, ch = round(math.sqrt(t * ar)), round(math.sqrt(t / ar))
        if 0 < cw <= w and 0 < ch <= h:
            x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
            return (x, y, x + cw, y + ch)
    return (0, 0, w, h)

def view(im, rng, size, scale):
    v = im.resize((size, size), Image.BILINEAR, box=rrc_box(rng, im.width, im.height, scale))
    if rng.random() < 0.5:
        v = v.transpose(Image.FLIP_LEFT_RIGHT)
    a = np.asarray(v.convert("RGB"), np.float32) / 255.0
    return (a - MEAN) / STD

def process(f, rng):
    im = Image.open(f)
    im.draft("L", (256, 256))  # JPEG shrink-on-load, as Pillow's thumbnail() does
    im = im.convert("RGB").getchannel(0)
    s = 256 / min(im.size)
    if s < 1:
        im = im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR)
    out = [view(im, rng, 224, (0.3, 1.0)) for _ in range(2)] + [view(im, rng, 96, (0.05, 0.3)) for _ in range(10)]
    return sum(float(o[0, 0, 0]) for o in out)

def job(arg):
    """One image in a pool worker; returns the worker's CPU seconds spent on it."""
    k, f = arg
    c = time.process_time()
    process(f, random.Random(24 + k))
    return time.process_time() - c

def warm(f):
    process(f, random.Random(0))

def main():
    rounds, procs, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    jobs = [(k, files[k % len(files)]) for k in range(rounds * len(files))]
    if procs == 1:
        warm(files[0])
        c, t = time.process_time(), time.perf_counter()
        best, r0 = float("inf"), c
        for k, f in jobs:
            process(f, random.Random(24 + k))
            if (k + 1) % len(files) == 0:
                r1 = time.process_time()
                best, r0 = min(best, r1 - r0), r1
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
        print(json.dumps({"images": len(jobs), "seconds": seconds, "cpu_seconds": cpu, "best_round_cpu_seconds": best}))
        return
    else:
        with multiprocessing.Pool(procs, initializer=warm, initargs=(files[0],)) as pool:
            pool.map(time.sleep, [0.05] * procs)  # every worker started and warmed up
            t = time.perf_counter()
            cpu = sum(pool.imap_unordered(job, jobs, chunksize=2))
            seconds = time.perf_counter() - t
    print(json.dumps({"images": len(jobs), "seconds": seconds, "cpu_seconds": cpu}))

if __name__ == "__main__":
    main()
