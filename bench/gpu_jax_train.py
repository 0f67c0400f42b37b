"""The JAX half of `npm run bench:gpu`: the same LeNet-5 and MLP 784-512-512-10 as bench/gpu_torch_train.py and
bench/tsflow_models.ts, SGD (lr 0.01) on softmax cross-entropy with one-hot labels, batch 64/256/1024, one
jax.jit-compiled step (XLA) with the parameters donated, in fp32 (matmul and convolution precision "highest")
and TF32 (precision "tensorfloat32"). The batch sits on the GPU beforehand. Timing as in
bench/gpu_torch_train.py (same warm-up and repetitions; each repetition ends in block_until_ready).
Writes $OUT/jax_train.json.

    python3 bench/gpu_jax_train.py [--quick]
"""
import json
import os
import sys

import jax
import jax.numpy as jnp
from jax import lax

import peer_timing

QUICK = "--quick" in sys.argv


def init_params(model, key):
    def dense(k, n_in, n_out):
        bound = 1 / n_in**0.5
        return jax.random.uniform(k, (n_in, n_out), jnp.float32, -bound, bound), jnp.zeros((n_out,), jnp.float32)

    def conv(k, c_in, c_out, size):
        bound = 1 / (c_in * size * size) ** 0.5
        return jax.random.uniform(k, (c_out, c_in, size, size), jnp.float32, -bound, bound), jnp.zeros((c_out,), jnp.float32)

    ks = jax.random.split(key, 5)
    if model == "mlp":
        return [dense(ks[0], 784, 512), dense(ks[1], 512, 512), dense(ks[2], 512, 10)]
    return [conv(ks[0], 1, 6, 5), conv(ks[1], 6, 16, 5), dense(ks[2], 400, 120), dense(ks[3], 120, 84), dense(ks[4], 84, 10)]


def max_pool_2x2(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def forward(model, params, x):
    if model == "mlp":
        h = x.reshape(x.shape[0], -1)
        for w, b in params[:-1]:
            h = jax.nn.relu(h @ w + b)
        w, b = params[-1]
        return h @ w + b
    (w1, b1), (w2, b2), *fc = params
    dn = ("NCHW", "OIHW", "NCHW")
    h = lax.conv_general_dilated(x, w1, (1, 1), ((2, 2), (2, 2)), dimension_numbers=dn) + b1[None, :, None, None]
    h = max_pool_2x2(jax.nn.relu(h))
    h = lax.conv_general_dilated(h, w2, (1, 1), "VALID", dimension_numbers=dn) + b2[None, :, None, None]
    h = max_pool_2x2(jax.nn.relu(h)).reshape(x.shape[0], -1)
    for w, b in fc[:-1]:
        h = jax.nn.relu(h @ w + b)
    w, b = fc[-1]
    return h @ w + b


def make(model, batch):
    # The same inputs as the PyTorch half: (i * 2654435761 mod 1000) / 1000, computed exactly on the host.
    x = jnp.asarray([((i * 2654435761) % 1000) / 1000 for i in range(batch * 784)], jnp.float32).reshape(batch, 1, 28, 28)
    y = jax.nn.one_hot(jnp.arange(batch) % 10, 10, dtype=jnp.float32)
    params = init_params(model, jax.random.PRNGKey(1))

    def loss_fn(p, xb, yb):
        logits = forward(model, p, xb)
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), axis=-1))

    def sgd_step(p, xb, yb):
        g = jax.grad(loss_fn)(p, xb, yb)
        return jax.tree_util.tree_map(lambda a, d: a - 0.01 * d, p, g)

    step = jax.jit(sgd_step, donate_argnums=(0,))
    state = {"p": params}

    def run():
        state["p"] = step(state["p"], x, y)

    def sync():
        jax.block_until_ready(state["p"])

    return run, sync


rows = []
for precision in ("fp32", "tf32"):
    with jax.default_matmul_precision("highest" if precision == "fp32" else "tensorfloat32"):
        for model in ("lenet", "mlp"):
            for batch in (64, 256, 1024):
                try:
                    run, sync = make(model, batch)
                    row = {"model": model, "batch": batch, "precision": precision, "runner": "JAX jit", **peer_timing.measure(run, sync, batch, QUICK)}
                except Exception as e:  # report, keep going
                    row = {"model": model, "batch": batch, "precision": precision, "runner": "JAX jit", "median": 0, "reps": [], "hostUs": 0, "wallUs": 0, "error": str(e).split("\n")[0][:160]}
                rows.append(row)
                print(f"{precision} {model:6} {batch:5} JAX jit {row.get('error', '')}{row['median']:10.0f} samples/s  host {row['hostUs']:.1f} us/step  wall {row['wallUs']:.1f} us/step", flush=True)
info = {"jax": jax.__version__, "device": str(jax.devices()[0]), "rows": rows}
with open(os.path.join(os.environ.get("OUT", "."), "jax_train.json"), "w") as f:
    json.dump(info, f, indent=1)
