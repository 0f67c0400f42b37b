"""What bench/gpu_torch_mp.py and bench/gpu_jax_mp.py share: their command line, the configurations and
peaks of bench/mp_config.ts, ResNet-18's blocks and the analytic multiply-adds of bench/mp_models.ts, and the
JSON file each rewrites after every row (so that a run cut short by its time limit still reports)."""

import json
import math
import os
import sys

SMOKE = "--cpu-smoke" in sys.argv
QUICK = SMOKE or "--quick" in sys.argv


def arg(name, default):
    return next((a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith(f"--{name}=")), default)


MODELS = arg("models", ["resnet18", "mlp4096"])
PRECISIONS = arg("precisions", ["fp32", "tf32", "bf16", "fp16"])
# bench/mp_config.ts: the configurations, and an H200 SXM's dense datasheet peaks (TFLOP/s).
CONFIGS = [("resnet18", 256), ("resnet18", 1024), ("mlp4096", 1024)]
PEAKS = {"fp32": 67, "tf32": 494.5, "bf16": 989.5, "fp16": 989.5}
# Full sizes, and the tiny ones of --cpu-smoke.
SIZES = {"resnet18": {"width": 64, "size": 32}, "mlp4096": {"input": 4096, "width": 4096, "depth": 3}}
if SMOKE:
    SIZES = {"resnet18": {"width": 8, "size": 16}, "mlp4096": {"input": 64, "width": 64, "depth": 3}}
    CONFIGS = [("resnet18", 2), ("mlp4096", 2)]
SMOKE_DEVICE = "CPU (smoke run, tiny sizes)"


def resnet_blocks(width):
    """(input channels, output channels, stride) of ResNet-18's eight basic blocks."""
    out, cin = [], width
    for stage in range(4):
        cout = width * 2**stage
        for block in range(2):
            out.append((cin, cout, 2 if block == 0 and stage > 0 else 1))
            cin = cout
    return out


def macs_per_sample(model):
    """bench/mp_models.ts macsPerSample: convolutions (with the projection shortcuts) and matrix products."""
    s = SIZES[model]
    if model == "mlp4096":
        return s["input"] * s["width"] + (s["depth"] - 1) * s["width"] ** 2 + s["width"] * 10
    size = s["size"]
    macs = size * size * 27 * s["width"]
    for cin, cout, stride in resnet_blocks(s["width"]):
        size = math.ceil(size / stride)
        macs += size * size * (9 * cin * cout + 9 * cout * cout + (cin * cout if stride != 1 or cin != cout else 0))
    return macs + 8 * s["width"] * 10


def write_rows(name, info, rows):
    """$OUT/<name>: the framework's `info` and the rows so far."""
    with open(os.path.join(os.environ.get("OUT", "."), name), "w") as f:
        json.dump({**info, "peaks": PEAKS, "rows": rows}, f, indent=1)
