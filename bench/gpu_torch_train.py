"""The PyTorch half of `npm run bench:gpu`: the same LeNet-5 and MLP 784-512-512-10 as bench/tsflow_models.ts,
SGD (lr 0.01) on softmax cross-entropy with one-hot labels, batch 64/256/1024, fp32 and TF32
(torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32 both set to match tsflow's
enableTensorFloat32Execution), in two ways: eager, and the whole step captured with torch.cuda.graph and
replayed (inputs copied into the static tensors each step). Beside Keras fit: an epoch loop over a shuffled
set on the GPU (MLP, LeNet-5), and an LSTM (nn.LSTM, cuDNN, 64 steps x 32 features, 256 units) eager and
CUDA-graphed. cudnn.benchmark is on (PyTorch's fastest
convolutions). The batch sits on the GPU beforehand. Timing as in bench/gpu_train.ts: medians of repetitions
ending in a synchronisation. Also sgemm at 4096 and 8192. Writes $OUT/torch_train.json.

    python3 bench/gpu_torch_train.py [--quick] [--models=lenet,mlp,lstm]
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import peer_timing

QUICK = "--quick" in sys.argv
# --models=lstm: only those models' rows (and no sgemm), e.g. for the LSTM rows alone.
MODELS = next((a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--models=")), ["lenet", "mlp", "lstm"])
dev = "cuda"
torch.backends.cudnn.benchmark = True


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.flatten(1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.f1 = nn.Linear(784, 512)
        self.f2 = nn.Linear(512, 512)
        self.f3 = nn.Linear(512, 10)

    def forward(self, x):
        x = x.flatten(1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


class LSTMNet(nn.Module):
    """bench/keras_fit.ts's LSTM row: nn.LSTM (cuDNN) over 64 steps of 32 features, 256 units, Linear(256, 10) on the last output."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 256, batch_first=True)
        self.out = nn.Linear(256, 10)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(h[:, -1])


def batch_data(n):
    i = torch.arange(n * 784, dtype=torch.int64)
    x = ((i * 2654435761) % 1000).to(torch.float32) / 1000
    y = torch.zeros(n, 10)
    y[torch.arange(n), torch.arange(n) % 10] = 1
    return x.view(n, 1, 28, 28).to(dev), y.to(dev)


def lstm_data(n):
    i = torch.arange(n * 64 * 32, dtype=torch.int64)
    x = ((i * 2654435761) % 1000).to(torch.float32) / 1000 - 0.5
    y = torch.zeros(n, 10)
    y[torch.arange(n), torch.arange(n) % 10] = 1
    return x.view(n, 64, 32).to(dev), y.to(dev)


def make(model_name, batch, graphed):
    torch.manual_seed(1)
    model = (LeNet() if model_name == "lenet" else LSTMNet() if model_name == "lstm" else MLP()).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = lstm_data(batch) if model_name == "lstm" else batch_data(batch)

    def eager_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    if not graphed:
        return eager_step
    static_x, static_y = x.clone(), y.clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(static_x), static_y).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(g):
        static_loss = F.cross_entropy(model(static_x), static_y)
        static_loss.backward()
        opt.step()

    def graph_step():
        static_x.copy_(x)
        static_y.copy_(y)
        g.replay()

    return graph_step


def measure(step, batch):
    return peer_timing.measure(step, torch.cuda.synchronize, batch, QUICK)


def sgemm():
    out = {}
    for size in (4096, 8192):
        a = torch.rand(size, size, device=dev)
        b = torch.rand(size, size, device=dev)
        for tf32 in (False, True):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            for _ in range(3):
                torch.matmul(a, b)
            ts = []
            for _ in range(10):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                torch.matmul(a, b)
                e.record()
                e.synchronize()
                ts.append(s.elapsed_time(e))
            ms = sorted(ts)[len(ts) // 2]
            out[f"sgemm {size} {'TF32' if tf32 else 'fp32'}"] = 2 * size**3 / ms / 1e9
    return out


def epoch_loop(model_name, batch):
    """Keras fit's PyTorch twin: one epoch over a set on the GPU, shuffled (randperm) into batches, eager steps.
    Returns a step that runs one epoch of STEPS batches, so that measure() counts samples per second."""
    torch.manual_seed(1)
    model = (LeNet() if model_name == "lenet" else MLP()).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    n = batch * EPOCH_STEPS
    x, y = batch_data(n)

    def epoch():
        perm = torch.randperm(n, device=dev)
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()

    return epoch


EPOCH_STEPS = 50 if QUICK else 200
rows = []
for precision in ("fp32", "tf32"):
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    for model in [m for m in ("lenet", "mlp") if m in MODELS]:
        for batch in (64, 256, 1024):
            for runner, graphed in (("PyTorch eager", False), ("PyTorch CUDA graph", True)):
                try:
                    r = measure(make(model, batch, graphed), batch)
                    row = {"model": model, "batch": batch, "precision": precision, "runner": runner, **r}
                except Exception as e:  # report, keep going
                    row = {"model": model, "batch": batch, "precision": precision, "runner": runner, "median": 0, "reps": [], "hostUs": 0, "wallUs": 0, "error": str(e).split("\n")[0][:160]}
                rows.append(row)
                print(f"{precision} {model:6} {batch:5} {runner:30} {row.get('error', '')}{row['median']:10.0f} samples/s  host {row['hostUs']:.1f} us/step  wall {row['wallUs']:.1f} us/step", flush=True)
    # Keras fit's twins: an epoch loop over shuffled batches (MLP, LeNet-5), and the LSTM row (cuDNN nn.LSTM).
    for model, batch, runner in [(m, b, "PyTorch epoch loop") for m in ("lenet", "mlp") if m in MODELS for b in (64, 256, 1024)] + [
        ("lstm", b, r) for b in (64, 256, 1024) for r in ("PyTorch eager", "PyTorch CUDA graph") if "lstm" in MODELS
    ]:
        try:
            if runner == "PyTorch epoch loop":
                r = measure(epoch_loop(model, batch), batch * EPOCH_STEPS)
            else:
                r = measure(make(model, batch, runner == "PyTorch CUDA graph"), batch)
            row = {"model": model, "batch": batch, "precision": precision, "runner": runner, **r}
        except Exception as e:  # report, keep going
            row = {"model": model, "batch": batch, "precision": precision, "runner": runner, "median": 0, "reps": [], "hostUs": 0, "wallUs": 0, "error": str(e).split("\n")[0][:160]}
        rows.append(row)
        print(f"{precision} {model:6} {batch:5} {runner:30} {row.get('error', '')}{row['median']:10.0f} samples/s  wall {row['wallUs']:.1f} us/step", flush=True)
gemm = sgemm() if "lenet" in MODELS or "mlp" in MODELS else {}
for k, v in gemm.items():
    print(f"torch {k}: {v:.1f} TFLOP/s")
info = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(), "sgemm": gemm, "rows": rows}
with open(os.path.join(os.environ.get("OUT", "."), "torch_train.json"), "w") as f:
    json.dump(info, f, indent=1)
