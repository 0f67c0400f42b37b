"""The PyTorch peer of `npm run bench`'s training table on the CPU: the same logreg 784-10, MLP 784-512-512-10 and
LeNet-5 as bench/tsflow_models.ts, SGD (lr 0.01) on softmax cross-entropy with one-hot labels, the same
synthetic batch, eager steps (PyTorch's usual CPU training loop), with as many threads as tsflow uses
(TSFLOW_NUM_THREADS when set and not 0, else one per core, as tsflow's own default). Timing as bench/timing.ts: warm-up, then repetitions of about
0.6 s (0.3 s with --quick), median samples/s. Prints one JSON object per line:
{"model", "batch", "median", "reps", "threads", "torch"}; a model it cannot run gives {"model", "batch", "error"}.

    python3 bench/cpu_torch_train.py --models=logreg,mlp,lenet --batches=64,256 [--quick]
"""
import importlib.util
import json
import os
import statistics
import sys
import time

THREADS = int(os.environ.get("TSFLOW_NUM_THREADS") or 0) or os.cpu_count() or 1
# Debian's torch (its files under /usr/lib/python3) calls the system OpenBLAS, whose thread pool
# torch.set_num_threads does not reach, beside its own OpenMP threads. Both are read when the libraries load,
# so they are set before the import. Without them a "1-thread" PyTorch ran its products on every core, and at 2
# threads its spinning OpenMP workers took the cores from OpenBLAS's: passive waiting ran its MLP 1.5-4x faster
# on the 2-core VM (2026-12-03), so the peer is measured in its faster set-up.
if (importlib.util.find_spec("torch").origin or "").startswith("/usr/lib/python3/"):
    os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.nn as nn
import torch.nn.functional as F


def arg(name, default):
    return next((a.split("=", 1)[1] for a in sys.argv if a.startswith(f"--{name}=")), default)


QUICK = "--quick" in sys.argv
torch.set_num_threads(THREADS)


def model_for(name):
    if name == "logreg":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def batch_data(n):
    i = torch.arange(n * 784, dtype=torch.int64)
    x = ((i * 2654435761) % 1000).to(torch.float32) / 1000
    y = torch.zeros(n, 10)
    y[torch.arange(n), torch.arange(n) % 10] = 1
    return x.view(n, 1, 28, 28), y


def measure(step, batch):
    t0 = time.perf_counter()
    for _ in range(3):
        step()
    per = (time.perf_counter() - t0) / 3
    steps = max(1, round((0.3 if QUICK else 0.6) / max(per, 1e-6)))
    reps = []
    for _ in range(3 if QUICK else 5):
        a = time.perf_counter()
        for _ in range(steps):
            step()
        reps.append(steps * batch / (time.perf_counter() - a))
    return statistics.median(reps), reps


for name in arg("models", "logreg,mlp,lenet").split(","):
    for batch in map(int, arg("batches", "64,256").split(",")):
        try:
            torch.manual_seed(1)
            model = model_for(name)
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
            x, y = batch_data(batch)

            def step():
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                opt.step()

            med, reps = measure(step, batch)
            print(json.dumps({"model": name, "batch": batch, "median": med, "reps": reps, "threads": THREADS, "torch": torch.__version__}), flush=True)
        except Exception as e:  # report, keep going
            print(json.dumps({"model": name, "batch": batch, "error": str(e).split("\n")[0][:120]}), flush=True)
