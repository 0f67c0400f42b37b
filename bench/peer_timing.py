"""Timing shared by the GPU benchmark's Python peers (bench/gpu_torch_train.py, bench/gpu_jax_train.py), the same
scheme as bench/gpu_train.ts: warm-up of at least 2 s (0.5 s quick), then windows of ~50 ms until two in a row
agree within 5% (at most 4 s), then repetitions of ~0.15 s each ending in `sync()`; medians of samples/s and of
host and wall microseconds per step.
"""
import statistics
import time


def measure(step, sync, batch, quick):
    t0 = time.perf_counter()
    for _ in range(5):
        step()
    sync()
    last = float("inf")
    while time.perf_counter() - t0 < 4:
        w0 = time.perf_counter()
        n = 0
        while time.perf_counter() - w0 < (0.03 if quick else 0.05):
            step()
            n += 1
        sync()
        per = (time.perf_counter() - w0) / n
        if time.perf_counter() - t0 > (0.5 if quick else 2) and abs(per - last) <= 0.05 * last:
            break
        last = per
    t1 = time.perf_counter()
    for _ in range(5):
        step()
    sync()
    per = (time.perf_counter() - t1) / 5
    steps = max(3, min(4000, round((0.08 if quick else 0.15) / max(per, 1e-6))))
    reps, host, wall = [], [], []
    for _ in range(3 if quick else 5):
        a = time.perf_counter()
        for _ in range(steps):
            step()
        issued = time.perf_counter()
        sync()
        z = time.perf_counter()
        reps.append(steps * batch / (z - a))
        host.append((issued - a) * 1e6 / steps)
        wall.append((z - a) * 1e6 / steps)
    return {"median": statistics.median(reps), "reps": reps, "hostUs": statistics.median(host), "wallUs": statistics.median(wall)}
