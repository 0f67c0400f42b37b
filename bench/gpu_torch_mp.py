"""The PyTorch half of the mixed-precision benchmark (issue 14; `bash bench/gpu_run.sh mp`): the models of
bench/mp_models.ts, a CIFAR-style ResNet-18 (32x32x3, batch norm on batch statistics only) at batch 256 and
1024 and the MLP 4096-4096-4096-4096-10 at batch 1024, SGD (lr 0.01, momentum 0.9) on cross-entropy with
integer labels, in fp32 (TF32 off), TF32, bf16 (autocast) and fp16 (autocast + GradScaler). ResNet-18 runs
channels-last with cudnn.benchmark. Runners: eager, the step captured with torch.cuda.graph (for fp16 the
forward and scaled backward are captured and GradScaler's step and update run outside the graph, as
PyTorch's documentation does it), and torch.compile (default mode) where it exists; the report keeps the
fastest. The batch sits on the GPU beforehand. Timing: bench/peer_timing.py. Writes $OUT/torch_mp.json.

    python3 bench/gpu_torch_mp.py [--quick] [--models=resnet18,mlp4096] [--precisions=fp32,tf32,bf16,fp16]
    python3 bench/gpu_torch_mp.py --cpu-smoke   # tiny sizes on the CPU, eager only: proves the code runs
                                                # (the losses fall), its timings mean nothing
"""
import contextlib
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import peer_timing
from mp_peer import CONFIGS, MODELS, PEAKS, PRECISIONS, QUICK, SIZES, SMOKE, SMOKE_DEVICE, arg, macs_per_sample, write_rows

dev = "cpu" if SMOKE else "cuda"
torch.backends.cudnn.benchmark = True


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, eps=1e-5, track_running_stats=False)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, eps=1e-5, track_running_stats=False)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5, track_running_stats=False))

    def forward(self, x):
        h = F.relu(self.b1(self.c1(x)))
        h = self.b2(self.c2(h))
        return F.relu(h + (x if self.short is None else self.short(x)))


class ResNet18(nn.Module):
    def __init__(self, width, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width, eps=1e-5, track_running_stats=False), nn.ReLU())
        blocks, cin = [], width
        for stage in range(4):
            cout = width * 2**stage
            for block in range(2):
                blocks.append(BasicBlock(cin, cout, 2 if block == 0 and stage > 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


def mlp(input, width, depth, classes=10):
    layers, n = [], input
    for _ in range(depth):
        layers += [nn.Linear(n, width), nn.ReLU()]
        n = width
    return nn.Sequential(*layers, nn.Linear(n, classes))


def batch_data(model, n):
    s = SIZES[model]
    shape = (n, s["size"], s["size"], 3) if model == "resnet18" else (n, s["input"])
    i = torch.arange(math.prod(shape), dtype=torch.int64)
    x = (((i * 2654435761) % 1000).to(torch.float32) / 1000).view(shape)
    if model == "resnet18":
        # The same NHWC values as tsflow's batch, as an NCHW tensor stored channels-last.
        x = x.permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    return x.to(dev), (torch.arange(n) % 10).to(dev)


def grad_scaler(enabled):
    # torch.amp.GradScaler from PyTorch 2.3; Debian's 1.13 (the CPU smoke run) has only torch.cuda.amp's.
    if hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def make(model_name, batch, precision, runner):
    torch.manual_seed(1)
    s = SIZES[model_name]
    model = (ResNet18(s["width"]) if model_name == "resnet18" else mlp(s["input"], s["width"], s["depth"])).to(dev)
    if model_name == "resnet18":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = grad_scaler(precision == "fp16" and dev == "cuda")
    forward = torch.compile(model) if runner == "PyTorch torch.compile" else model
    x, y = batch_data(model_name, batch)

    def autocast():
        # Autocast's cast cache must be off while a CUDA graph is captured (PyTorch's CUDA graphs notes).
        return torch.autocast(dev, dtype=half, cache_enabled=runner != "PyTorch CUDA graph") if half is not None else contextlib.nullcontext()

    def loss_of(xb, yb):
        with autocast():
            return F.cross_entropy(forward(xb).float(), yb)

    def eager_step():
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss_of(x, y)).backward()
        scaler.step(opt)
        scaler.update()

    if runner != "PyTorch CUDA graph":
        return eager_step, loss_of
    static_x, static_y = x.clone(), y.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss_of(static_x, static_y)).backward()
            scaler.step(opt)
            scaler.update()
    torch.cuda.current_stream().wait_stream(side)
    g = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(g):
        scaler.scale(loss_of(static_x, static_y)).backward()
        # GradScaler's step reads found_inf on the host: only without it (no fp16) is the update captured too.
        if precision != "fp16":
            opt.step()

    def graph_step():
        static_x.copy_(x)
        static_y.copy_(y)
        g.replay()
        if precision == "fp16":
            scaler.step(opt)
            scaler.update()

    return graph_step, loss_of


def runners():
    out = ["PyTorch eager"]
    if dev == "cuda":
        out.append("PyTorch CUDA graph")
        if hasattr(torch, "compile"):
            out.append("PyTorch torch.compile")
    # --runners=eager,graph picks some (torch.compile's compilation takes minutes over all rows).
    picked = arg("runners", None)
    return [r for r in out if picked is None or any(p in r.lower() for p in picked)]


def cpu_autocasts(dtype):
    """Whether CPU autocast computes in `dtype` (PyTorch 1.13's takes only bfloat16, and refuses or ignores others)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.autocast("cpu", dtype=dtype):
                return (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == dtype
    except RuntimeError:
        return False


def smoke(model, batch, precision):
    """Three steps at a tiny size; returns the loss before and after them."""
    step, loss_of = make(model, batch, precision, "PyTorch eager")
    x, y = batch_data(model, batch)
    first = loss_of(x, y).item()
    for _ in range(3):
        step()
    return first, loss_of(x, y).item()


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


rows = []
smoke_failures = 0


INFO = {"device": SMOKE_DEVICE if SMOKE else torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda}
for precision in PRECISIONS:
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    for model, batch in [c for c in CONFIGS if c[0] in MODELS]:
        flops = 6 * macs_per_sample(model) * batch
        if SMOKE and precision == "fp16" and not cpu_autocasts(torch.float16):
            print(f"{precision} {model:9} {batch:5} skipped: CPU autocast in PyTorch {torch.__version__} has no float16", flush=True)
            continue
        if SMOKE:
            first, last = smoke(model, batch, precision)
            trained = math.isfinite(last) and last < first
            smoke_failures += not trained
            print(f"{precision} {model:9} {batch:5} loss {first:.4f} -> {last:.4f}{'' if trained else '  NOT TRAINED'}", flush=True)
        for runner in runners():
            base = {"model": model, "batch": batch, "precision": precision, "runner": runner, "flopsPerStep": flops, "peakTflops": PEAKS[precision]}
            try:
                r = peer_timing.measure(make(model, batch, precision, runner)[0], sync, batch, QUICK)
                tflops = flops * r["median"] / batch / 1e12
                row = {**base, **r, "tflops": tflops, "percentOfPeak": 100 * tflops / PEAKS[precision]}
            except Exception as e:  # report, keep going
                row = {**base, "median": 0, "reps": [], "hostUs": 0, "wallUs": 0, "tflops": 0, "percentOfPeak": 0, "error": str(e).split("\n")[0][:160]}
            rows.append(row)
            write_rows("torch_mp.json", INFO, rows)
            print(
                f"{precision} {model:9} {batch:5} {runner:24} {row.get('error', '')}{row['median']:9.0f} samples/s {row['tflops']:7.1f} TFLOP/s {row['percentOfPeak']:5.1f}%",
                flush=True,
            )
write_rows("torch_mp.json", INFO, rows)
sys.exit(1 if smoke_failures or any("error" in r for r in rows) else 0)
