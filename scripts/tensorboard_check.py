#!/usr/bin/env python3
"""Loads a logdir written by `node --import tsx scripts/tensorboard_logdir.ts <logdir>` with TensorBoard's own
event loader (tensorboard.backend.event_processing) and checks the scalars, histograms, images, text and graph
it gets back against the values that script wrote. Prints a report; exits 1 on any mismatch.

Usage: python3 scripts/tensorboard_check.py <logdir>      (needs `pip install tensorboard`)
"""
import io
import math
import os
import sys

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
from tensorboard.util import tensor_util

failures = []


def check(what, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + what + (f"  ({detail})" if detail else ""))
    if not ok:
        failures.append(what)


def main(logdir):
    run = os.path.join(logdir, "tf2")
    acc = pea.EventAccumulator(run, size_guidance={"tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    print("tf2 run tags:", tags)
    # scalars: loss = 1 / (step + 1) for steps 0..99, through the "scalars" plugin
    loss = acc.Tensors("loss")
    vals = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in loss]
    check("scalars: 100 loss events", len(vals) == 100, f"got {len(vals)}")
    check("scalars: values 1/(step+1)", all(abs(v - 1.0 / (e.step + 1)) < 1e-6 for v, e in zip(vals, loss)))
    check("scalars: plugin", acc.SummaryMetadata("loss").plugin_data.plugin_name == "scalars")
    # histograms: [30, 3] rows over 0..999
    h = acc.Tensors("weights")
    arr = tensor_util.make_ndarray(h[0].tensor_proto)
    check("histograms: shape [30, 3]", arr.shape == (30, 3), str(arr.shape))
    check("histograms: counts sum to 1000", abs(arr[:, 2].sum() - 1000) < 1e-9, str(arr[:, 2].sum()))
    check("histograms: edges 0..999", arr[0, 0] == 0 and arr[-1, 1] == 999, f"{arr[0, 0]}..{arr[-1, 1]}")
    check("histograms: plugin", acc.SummaryMetadata("weights").plugin_data.plugin_name == "histograms")
    # images: [w, h, png] with a 28x28 gray gradient
    im = tensor_util.make_ndarray(acc.Tensors("digits")[0].tensor_proto)
    check("images: width/height strings", im[0] == b"28" and im[1] == b"28", f"{im[0]!r} {im[1]!r}")
    check("images: PNG signature", im[2][:8] == b"\x89PNG\r\n\x1a\n")
    try:
        from PIL import Image

        px = Image.open(io.BytesIO(im[2]))
        check("images: decodes to 28x28", px.size == (28, 28), str(px.size))
    except ImportError:
        print("SKIP images: PIL not installed, pixel check skipped")
    check("images: plugin", acc.SummaryMetadata("digits").plugin_data.plugin_name == "images")
    # text
    t = tensor_util.make_ndarray(acc.Tensors("notes")[0].tensor_proto)
    check("text: markdown string", t.item() == b"**tsflow** wrote this", repr(t))
    check("text: plugin", acc.SummaryMetadata("notes").plugin_data.plugin_name == "text")
    # NaN / Inf scalars as TensorFlow writes them
    nan = float(tensor_util.make_ndarray(acc.Tensors("nan")[0].tensor_proto))
    inf = float(tensor_util.make_ndarray(acc.Tensors("inf")[0].tensor_proto))
    check("scalars: NaN and Inf kept", math.isnan(nan) and math.isinf(inf))
    # TF1 run: simple_value scalars, a legacy histogram and the graph, through the legacy accumulator
    run1 = os.path.join(logdir, "tf1")
    if os.path.isdir(run1):
        a1 = ea.EventAccumulator(run1, size_guidance={"scalars": 0})
        a1.Reload()
        print("tf1 run tags:", a1.Tags())
        err = a1.Scalars("error")
        check("tf1 scalars: 10 'error' events", len(err) == 10, str(len(err)))
        g = a1.Graph()
        names = [n.name for n in g.node]
        check("graph: nodes present", len(names) > 0 and any(n.startswith("model/") for n in names), str(names[:8]))
        check("graph: a MatMul op", any(n.op == "MatMul" for n in g.node))
    else:
        print("SKIP tf1 run: not present")
    print()
    print("RESULT:", "FAIL " + ", ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
