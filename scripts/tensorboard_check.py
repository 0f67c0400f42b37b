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
        a1 = ea.EventAccumulator(run1, size_guidance={"scalars": 0, "histograms": 0, "images": 0, "audio": 0})
        a1.Reload()
        print("tf1 run tags:", a1.Tags())
        err = a1.Scalars("error")
        check("tf1 scalars: 10 'error' events", len(err) == 10, str(len(err)))
        check("tf1 scalars: values 1/(step+1)", all(abs(e.value - 1.0 / (e.step + 1)) < 1e-6 for e in err))
        hist = a1.Histograms("weights")
        hv = hist[0].histogram_value
        check("tf1 histogram: 10 events of 1000 values", len(hist) == 10 and hv.num == 1000, f"{len(hist)} {hv.num}")
        check("tf1 histogram: min 0, max 999, sum", hv.min == 0 and hv.max == 999 and hv.sum == sum(range(1000)), f"{hv.min} {hv.max} {hv.sum}")
        check("tf1 histogram: bucket counts sum to num", sum(hv.bucket) == 1000)
        tags1 = a1.Tags()
        check("tf1 images: tags digits/image/0 and /1", {"digits/image/0", "digits/image/1"} <= set(tags1["images"]), str(tags1["images"]))
        img = a1.Images("digits/image/1")[0]
        check("tf1 images: 8x8", img.width == 8 and img.height == 8, f"{img.width}x{img.height}")
        try:
            from PIL import Image

            px = list(Image.open(io.BytesIO(img.encoded_image_string)).tobytes())
            check("tf1 images: pixels of the second image", px == [(64 + i) * 2 % 256 for i in range(64)], str(px[:4]))
        except ImportError:
            print("SKIP tf1 images: PIL not installed, pixel check skipped")
        check("tf1 audio: tag clip/audio/0", "clip/audio/0" in tags1["audio"], str(tags1["audio"]))
        au = a1.Audio("clip/audio/0")[0]
        check("tf1 audio: 8 kHz, 800 frames, audio/wav", au.sample_rate == 8000 and au.length_frames == 800 and au.content_type == "audio/wav")
        import wave

        with wave.open(io.BytesIO(au.encoded_audio_string)) as wf:
            frames = wf.readframes(wf.getnframes())
            first = [int.from_bytes(frames[2 * i : 2 * i + 2], "little", signed=True) for i in range(3)]
            want = [max(-32768, min(32767, round(math.sin(0.1 * i) * 32768))) for i in range(3)]
            check("tf1 audio: WAV 8000 Hz mono 16-bit, samples", (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) == (8000, 1, 2) and all(abs(a - b) <= 1 for a, b in zip(first, want)), f"{first} vs {want}")
        p1 = pea.EventAccumulator(run1, size_guidance={"tensors": 0})
        p1.Reload()
        note = tensor_util.make_ndarray(p1.Tensors("notes")[0].tensor_proto)
        check("tf1 text: TensorSummaryV2 with the text plugin", note.item() == b"**tf1** text" and p1.SummaryMetadata("notes").plugin_data.plugin_name == "text", repr(note))
        g = a1.Graph()
        names = [n.name for n in g.node]
        check("graph: nodes present", len(names) > 0 and any(n.startswith("model/") for n in names), str(names[:8]))
        check("graph: a MatMul op", any(n.op == "MatMul" for n in g.node))
    else:
        print("SKIP tf1 run: not present")
    run3 = os.path.join(logdir, "tf2fn")
    if os.path.isdir(run3):
        a3 = pea.EventAccumulator(run3, size_guidance={"tensors": 0})
        a3.Reload()
        print("tf2fn run tags:", a3.Tags())
        fl = a3.Tensors("fn_loss")
        check("tf.function scalars: steps 0..4", [e.step for e in fl] == [0, 1, 2, 3, 4], str([e.step for e in fl]))
        check("tf.function scalars: values 1/(step+1)", all(abs(float(tensor_util.make_ndarray(e.tensor_proto)) - 1.0 / (e.step + 1)) < 1e-6 for e in fl))
        from tensorboard.plugins.audio import metadata as audio_metadata

        md = a3.SummaryMetadata("sound")
        enc = audio_metadata.parse_plugin_metadata(md.plugin_data.content).encoding
        check("tf2 audio: plugin 'audio', encoding WAV", md.plugin_data.plugin_name == "audio" and enc == audio_metadata.Encoding.Value("WAV"), f"{md.plugin_data.plugin_name} {enc}")
        arr = tensor_util.make_ndarray(a3.Tensors("sound")[0].tensor_proto)
        check("tf2 audio: [2, 2] of (wav, label)", arr.shape == (2, 2) and arr[0, 1] == b"", str(arr.shape))
        import wave

        with wave.open(io.BytesIO(arr[1, 0])) as wf:
            check("tf2 audio: 16 kHz stereo, 400 frames", (wf.getframerate(), wf.getnchannels(), wf.getnframes()) == (16000, 2, 400))
    else:
        print("SKIP tf2fn run: not present")
    run4 = os.path.join(logdir, "tf2cf")
    if os.path.isdir(run4):
        a4 = pea.EventAccumulator(run4, size_guidance={"tensors": 0})
        a4.Reload()
        tags4 = a4.Tags()["tensors"]
        print("tf2cf run tags:", a4.Tags())
        it = a4.Tensors("while/i") if "while/i" in tags4 else []
        check("tf.whileLoop body: one 'while/i' event per iteration, steps 0..3", [e.step for e in it] == [0, 1, 2, 3], str([e.step for e in it]))
        check("tf.whileLoop body: values 10 * step", all(abs(scalar_of(e) - 10 * e.step) < 1e-6 for e in it))
        check("tf.cond: only the branch that ran wrote", sorted(t for t in tags4 if t.startswith("cond/")) == ["cond/positive"], str(tags4))
    else:
        print("SKIP tf2cf run: not present")
    keras_dir = os.path.join(logdir, "keras")
    if os.path.isdir(keras_dir):
        check_keras(keras_dir)
    else:
        print("SKIP keras run: not present")
    print()
    print("RESULT:", "FAIL " + ", ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


def scalar_of(event):
    return float(tensor_util.make_ndarray(event.tensor_proto))


def close_to(got, want):
    return len(got) == len(want) and all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in zip(got, want))


# What scripts/tensorboard_logdir.ts fits: 3 epochs of 3 train batches, updateFreq 2, two Dense layers.
KERAS_EPOCHS, KERAS_BATCHES_PER_EPOCH, KERAS_UPDATE_FREQ = 3, 3, 2
KERAS_WEIGHTS = ["dense/kernel_0", "dense/bias_0", "dense_1/kernel_0", "dense_1/bias_0"]


def check_keras(keras_dir):
    """tf.keras.callbacks.TensorBoard's runs, under the tags and steps Keras 2.13's callback writes."""
    import json

    with open(os.path.join(keras_dir, "history.json")) as fh:
        history = json.load(fh)
    epochs = list(range(KERAS_EPOCHS))
    for run, prefix in (("train", ""), ("validation", "val_")):
        ak = pea.EventAccumulator(os.path.join(keras_dir, run), size_guidance={"tensors": 0})
        ak.Reload()
        tags = ak.Tags()["tensors"]
        print(f"keras/{run} tags:", ak.Tags())

        def series(tag):
            return ak.Tensors(tag) if tag in tags else []

        for metric in ("loss", "accuracy"):
            tag, key = "epoch_" + metric, prefix + metric
            ev = series(tag)
            check(f"keras {run}: {tag} at epochs 0..{KERAS_EPOCHS - 1}", [e.step for e in ev] == epochs, str([e.step for e in ev]))
            got = [scalar_of(e) for e in ev]
            check(f"keras {run}: {tag} equals History's {key}", close_to(got, history[key]), f"{got} vs {history[key]}")
            if ev:
                check(f"keras {run}: {tag} in the scalars plugin", ak.SummaryMetadata(tag).plugin_data.plugin_name == "scalars")
        if run == "train":
            total = KERAS_EPOCHS * KERAS_BATCHES_PER_EPOCH
            want_steps = [s for s in range(1, total + 1) if s % KERAS_UPDATE_FREQ == 0]
            for metric in ("loss", "accuracy"):
                tag = "batch_" + metric
                ev = series(tag)
                check(f"keras train: {tag} every {KERAS_UPDATE_FREQ} batches (steps {want_steps})", [e.step for e in ev] == want_steps, str([e.step for e in ev]))
                vals = [scalar_of(e) for e in ev]
                ok = all(math.isfinite(v) for v in vals) and (metric != "accuracy" or all(0 <= v <= 1 for v in vals))
                check(f"keras train: {tag} values finite" + (" and in [0, 1]" if metric == "accuracy" else ""), ok, str(vals))
            hist_tags = sorted(t for t in tags if t.endswith("/histogram"))
            want_hist = sorted(w + "/histogram" for w in KERAS_WEIGHTS)
            check("keras train: a histogram per weight (<layer>/<weight>_0/histogram)", hist_tags == want_hist, str(hist_tags))
            check("keras train: each weight's histogram at every epoch", all([e.step for e in ak.Tensors(t)] == epochs for t in hist_tags))
            if hist_tags:
                check("keras train: histograms plugin", ak.SummaryMetadata(hist_tags[0]).plugin_data.plugin_name == "histograms")
                rows = tensor_util.make_ndarray(ak.Tensors("dense/kernel_0/histogram")[0].tensor_proto)
                check("keras train: histogram rows [k, 3], counts = the kernel's 12 values", rows.ndim == 2 and rows.shape[1] == 3 and abs(rows[:, 2].sum() - 12) < 1e-9, str(rows.shape))
            g = ak.Graph()
            check("keras train: the train step's graph", len(g.node) > 0 and any(n.op == "MatMul" for n in g.node), f"{len(g.node)} nodes")
            keras_ev = series("keras")
            ok = False
            if keras_ev:
                config = json.loads(tensor_util.make_ndarray(keras_ev[0].tensor_proto).item())
                ok = ak.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model" and config.get("class_name") == "Sequential"
            check("keras train: the model's config as the 'keras' summary (plugin graph_keras_model)", ok)
        else:
            iterations = [KERAS_BATCHES_PER_EPOCH * (e + 1) for e in epochs]
            for metric in ("loss", "accuracy"):
                tag = f"evaluation_{metric}_vs_iterations"
                ev = series(tag)
                check(f"keras validation: {tag} at iterations {iterations}", [e.step for e in ev] == iterations, str([e.step for e in ev]))
                got = [scalar_of(e) for e in ev]
                check(f"keras validation: {tag} equals History's val_{metric}", close_to(got, history["val_" + metric]), f"{got} vs {history['val_' + metric]}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
