"""The JAX half of the mixed-precision benchmark (issue 14; `bash bench/gpu_run.sh mp`): the models of
bench/mp_models.ts and bench/gpu_torch_mp.py (CIFAR-style ResNet-18 at batch 256 and 1024, NHWC, batch norm on
batch statistics only; the MLP 4096-4096-4096-4096-10 at batch 1024), SGD (lr 0.01, momentum 0.9) on
cross-entropy with integer labels, one jax.jit step (XLA) with the state donated. Precisions by hand, as
tsflow's graphs do them: fp32 (matmul/convolution precision "highest") and TF32 ("tensorfloat32") in float32;
bf16 and fp16 keep float32 parameters and momentum, cast them and the input to the 16-bit type for the
convolutions and matrix products, compute batch norm's statistics in float32, and take the loss in float32;
fp16 adds TensorFlow's dynamic loss scaling (2^15 to start, halved and the step skipped on a non-finite
gradient, doubled after 2000 finite steps) inside the step. Timing: bench/peer_timing.py. Writes
$OUT/jax_mp.json.

    python3 bench/gpu_jax_mp.py [--quick] [--models=resnet18,mlp4096] [--precisions=fp32,tf32,bf16,fp16]
    python3 bench/gpu_jax_mp.py --cpu-smoke   # tiny sizes on the CPU: proves the code runs (the losses fall)
"""
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import peer_timing
from mp_peer import CONFIGS, MODELS, PEAKS, PRECISIONS, QUICK, SIZES, SMOKE, SMOKE_DEVICE, macs_per_sample, resnet_blocks, write_rows

COMPUTE = {"fp32": jnp.float32, "tf32": jnp.float32, "bf16": jnp.bfloat16, "fp16": jnp.float16}
GROWTH_STEPS = 2000


def init_params(model, key):
    s = SIZES[model]
    keys = iter(jax.random.split(key, 64))

    def kernel(shape, fan_in):
        limit = (6 / fan_in) ** 0.5
        return jax.random.uniform(next(keys), shape, jnp.float32, -limit, limit)

    def bn(c):
        return {"gamma": jnp.ones((c,), jnp.float32), "beta": jnp.zeros((c,), jnp.float32)}

    def conv_bn(k, cin, cout):
        return {"w": kernel((k, k, cin, cout), k * k * cin), **bn(cout)}

    def dense(n_in, n_out):
        return {"w": kernel((n_in, n_out), n_in), "b": jnp.zeros((n_out,), jnp.float32)}

    if model == "mlp4096":
        dims = [s["input"]] + [s["width"]] * s["depth"]
        return {"layers": [dense(a, b) for a, b in zip(dims[:-1], dims[1:])], "out": dense(s["width"], 10)}
    blocks = []
    for cin, cout, stride in resnet_blocks(s["width"]):
        b = {"c1": conv_bn(3, cin, cout), "c2": conv_bn(3, cout, cout)}
        if stride != 1 or cin != cout:
            b["short"] = conv_bn(1, cin, cout)
        blocks.append(b)
    return {"stem": conv_bn(3, 3, s["width"]), "blocks": blocks, "out": dense(8 * s["width"], 10)}


def conv_bn(p, x, stride, dtype, relu):
    h = lax.conv_general_dilated(x, p["w"].astype(dtype), (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    # Batch statistics in float32 (as fused_batch_norm computes them for 16-bit inputs), output in the compute dtype.
    h32 = h.astype(jnp.float32)
    mean = h32.mean((0, 1, 2))
    var = h32.var((0, 1, 2))
    y = ((h32 - mean) * lax.rsqrt(var + 1e-5) * p["gamma"] + p["beta"]).astype(dtype)
    return jax.nn.relu(y) if relu else y


def logits_of(model, params, x, dtype):
    def dense(p, h):
        return h @ p["w"].astype(dtype) + p["b"].astype(dtype)

    h = x.astype(dtype)
    if model == "mlp4096":
        for p in params["layers"]:
            h = jax.nn.relu(dense(p, h))
        return dense(params["out"], h).astype(jnp.float32)
    h = conv_bn(params["stem"], h, 1, dtype, True)
    for p, (_, _, stride) in zip(params["blocks"], resnet_blocks(SIZES[model]["width"])):
        r = conv_bn(p["c1"], h, stride, dtype, True)
        y = conv_bn(p["c2"], r, 1, dtype, False)
        h = jax.nn.relu(y + (conv_bn(p["short"], h, stride, dtype, False) if "short" in p else h))
    return dense(params["out"], h.mean((1, 2))).astype(jnp.float32)


def batch_data(model, n):
    s = SIZES[model]
    shape = (n, s["size"], s["size"], 3) if model == "resnet18" else (n, s["input"])
    # The same values as tsflow's and PyTorch's batches, (i * 2654435761 mod 1000) / 1000, exact in int64 on the host.
    i = np.arange(math.prod(shape), dtype=np.int64)
    x = jnp.asarray((((i * 2654435761) % 1000) / 1000).astype(np.float32).reshape(shape))
    return x, jnp.arange(n, dtype=jnp.int32) % 10


def make(model, batch, precision):
    dtype = COMPUTE[precision]
    x, y = batch_data(model, batch)

    def loss_fn(params, scale):
        logits = logits_of(model, params, x, dtype)
        loss = -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))
        return loss * scale, loss

    def sgd_step(state):
        params, momentum, scale, good = state
        grads, loss = jax.grad(loss_fn, has_aux=True)(params, scale)
        grads = jax.tree_util.tree_map(lambda g: g / scale, grads)
        finite = jnp.all(jnp.array([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)]))
        new_m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + g, momentum, grads)
        new_p = jax.tree_util.tree_map(lambda p, m: p - 0.01 * m, params, new_m)
        if precision == "fp16":
            # Skip the update on overflow, halve the scale (not below 1); double it after GROWTH_STEPS finite steps.
            keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, old)  # noqa: E731
            new_p, new_m = keep(new_p, params), keep(new_m, momentum)
            grown = good + 1 >= GROWTH_STEPS
            scale = jnp.where(finite, jnp.where(grown, scale * 2, scale), jnp.maximum(scale / 2, 1.0))
            good = jnp.where(finite & ~grown, good + 1, 0)
        return (new_p, new_m, scale, good), loss

    step = jax.jit(sgd_step, donate_argnums=(0,))
    params = init_params(model, jax.random.PRNGKey(1))
    initial_scale = 2.0**15 if precision == "fp16" else 1.0
    state = {"s": (params, jax.tree_util.tree_map(jnp.zeros_like, params), jnp.float32(initial_scale), jnp.int32(0)), "loss": None}

    def run():
        state["s"], state["loss"] = step(state["s"])

    def sync():
        jax.block_until_ready(state["s"])

    return run, sync, lambda: float(state["loss"])


rows = []
smoke_failures = 0


INFO = {"device": SMOKE_DEVICE if SMOKE else str(jax.devices()[0]), "jax": jax.__version__}
for precision in PRECISIONS:
    with jax.default_matmul_precision("highest" if precision == "fp32" else "tensorfloat32"):
        for model, batch in [c for c in CONFIGS if c[0] in MODELS]:
            flops = 6 * macs_per_sample(model) * batch
            base = {"model": model, "batch": batch, "precision": precision, "runner": "JAX jit", "flopsPerStep": flops, "peakTflops": PEAKS[precision]}
            try:
                run, sync, last_loss = make(model, batch, precision)
                if SMOKE:
                    run()
                    first = last_loss()
                    for _ in range(5):
                        run()
                    last = last_loss()
                    trained = math.isfinite(last) and last < first
                    smoke_failures += not trained
                    print(f"{precision} {model:9} {batch:5} loss {first:.4f} -> {last:.4f}{'' if trained else '  NOT TRAINED'}", flush=True)
                r = peer_timing.measure(run, sync, batch, QUICK)
                tflops = flops * r["median"] / batch / 1e12
                row = {**base, **r, "tflops": tflops, "percentOfPeak": 100 * tflops / PEAKS[precision]}
            except Exception as e:  # report, keep going
                row = {**base, "median": 0, "reps": [], "hostUs": 0, "wallUs": 0, "tflops": 0, "percentOfPeak": 0, "error": str(e).split("\n")[0][:160]}
            rows.append(row)
            write_rows("jax_mp.json", INFO, rows)
            print(
                f"{precision} {model:9} {batch:5} JAX jit {row.get('error', '')}{row['median']:9.0f} samples/s {row['tflops']:7.1f} TFLOP/s {row['percentOfPeak']:5.1f}%",
                flush=True,
            )
write_rows("jax_mp.json", INFO, rows)
sys.exit(1 if smoke_failures or any("error" in r for r in rows) else 0)
