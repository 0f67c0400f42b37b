import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, it } from "./util/devices.js";
import { fileURLToPath } from "node:url";
import * as tf from "../src/index.js";
import { DEVICE_DTYPES } from "../src/backends/cuda/backend.js";
import { gpuBackend, NO_CUDA_NOTICE_PREFIX } from "../src/backends/cuda/index.js";
import { cpu, E, gpu, gpuOnly, NO_GPU, onGpu, relErr, rng, runOp, trainEagerly, xentLoss } from "./util/gpu.js";
import { collapseBroadcast } from "../src/backends/cuda/kernels/elementwise.js";
import { reductionPasses } from "../src/backends/cuda/kernels/reduce.js";
import { parseExpr, translateSpec, TranslateError } from "../src/backends/cuda/translate.js";
import type { DType } from "../src/core/dtype.js";
import { broadcastTo } from "../src/ops/movement.js";
import { execute } from "../src/ops/dispatch.js";
import { allOpSchemas } from "../src/core/schema/index.js";
import type { OpSchema } from "../src/core/schema/types.js";
import { withOptions } from "./util/settings.js";
import { buildModel, syntheticBatch } from "../bench/tsflow_models.js";

/**
 * The cuda backend. Tests that need a GPU skip themselves, with the reason, where there is none (CI); the
 * rest (code generation, the no-driver path, placement errors) run everywhere. On the GPU machine,
 * `npm run test:gpu` runs this file and the op suites (once per device, test/util/devices.ts); every GPU
 * result here is compared with the CPU reference backend on the same inputs.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const RUNNING_TS = import.meta.url.endsWith(".ts");

/** Runs `code` (an ES module body that may import tsflow as `tf`) in a fresh node process. */
function child(code: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const src = join(HERE, "..", "src", RUNNING_TS ? "index.ts" : "index.js");
  const body = `const tf = await import(${JSON.stringify(src)});\n${code}`;
  const args = RUNNING_TS ? ["--import", "tsx", "--input-type=module", "-e", body] : ["--input-type=module", "-e", body];
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------- everywhere

describe("cuda: no driver", () => {
  it("runs on the CPU, says why once (at INFO level: TSFLOW_LOG_LEVEL=0), and lists no GPU", () => {
    const r = child(
      `const a = tf.add(tf.constant([1, 2, 3]), 1);
       const b = tf.matmul(tf.ones([4, 4]), tf.ones([4, 4]));
       console.log(JSON.stringify({ a: Array.from(a.dataSync()), dev: a.device, b: b.dataSync()[0],
         gpus: tf.config.listPhysicalDevices("GPU").length, all: tf.config.listPhysicalDevices().map((d) => d.deviceType) }));`,
      { TSFLOW_CUDA_DRIVER: "/nonexistent/libcuda.so.1", TSFLOW_LOG_LEVEL: "0" },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.a, [2, 3, 4]);
    assert.match(out.dev, /CPU:0$/);
    assert.equal(out.b, 4);
    assert.equal(out.gpus, 0);
    assert.deepEqual(out.all, ["CPU"]);
    const notices = r.stderr.split("\n").filter((l) => l.startsWith(NO_CUDA_NOTICE_PREFIX));
    assert.equal(notices.length, 1, r.stderr);
    assert.match(notices[0], /libcuda\.so\.1.*running on the CPU$/);
  });

  it("TSFLOW_CUDA=0 disables the GPU silently", () => {
    const r = child(`console.log(tf.config.listPhysicalDevices("GPU").length, tf.add(1, 2).device);`, { TSFLOW_CUDA: "0" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^0 .*CPU:0/);
    assert.ok(!r.stderr.includes(NO_CUDA_NOTICE_PREFIX), r.stderr);
  });

  it("tf.config answers on any machine", () => {
    const cpus = tf.config.listPhysicalDevices("CPU");
    assert.equal(cpus.length, 1);
    assert.equal(cpus[0].name, "/physical_device:CPU:0");
    assert.equal(tf.config.listLogicalDevices("CPU")[0].name, "/device:CPU:0");
    assert.equal(tf.config.experimental.tensorFloat32ExecutionEnabled(), true);
    assert.equal(tf.config.getSoftDevicePlacement(), true);
    if (NO_GPU !== null) {
      assert.deepEqual(tf.config.listPhysicalDevices("GPU"), []);
      assert.throws(() => tf.config.experimental.getMemoryInfo("GPU:0"), tf.errors.InvalidArgumentError);
    }
  });

  it("an unknown GPU index without soft placement is TensorFlow's InvalidArgumentError", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const [a, b] = [tf.constant(1), tf.constant(2)];
      const x = tf.device("/device:GPU:7", () => tf.add(a, b, { name: "far" }));
      const s = new tf.Session({ config: { allowSoftPlacement: false } });
      assert.throws(
        () => s.run(x),
        (e: Error) =>
          e instanceof tf.errors.InvalidArgumentError &&
          /Cannot assign a device for operation far: .*explicitly assigned to \/device:GPU:7 but available devices are/.test(e.message),
      );
      const soft = new tf.Session({ config: { allowSoftPlacement: true } });
      assert.equal((soft.run(x) as E).item(), 3);
    });
    // Eagerly: soft placement is on by default (TensorFlow 2); off, the same request is an error.
    assert.equal((tf.device("/gpu:7", () => tf.add(1, 2)) as E).item(), 3);
    tf.config.setSoftDevicePlacement(false);
    try {
      assert.throws(() => tf.device("/gpu:7", () => tf.add(1, 2)), tf.errors.InvalidArgumentError);
    } finally {
      tf.config.setSoftDevicePlacement(true);
    }
  });
});

describe("cuda: code generation (no GPU needed)", () => {
  it("translates every elementwise row of the op table for each of its device dtypes", () => {
    const missing: string[] = [];
    for (const def of allOpSchemas()) {
      if (!def.elementwise) continue;
      const arity = def.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
      for (const d of def.allowedDTypes ?? []) {
        if (!DEVICE_DTYPES.has(d)) continue;
        try {
          const c = translateSpec(def.elementwise, d, arity);
          assert.ok(c.length > 0);
        } catch (e) {
          if (!(e instanceof TranslateError)) throw e;
          // int64 rows without a BigInt form have no int64 kernel on any backend.
          if (!(d === "int64" && def.elementwise.jsInt64 === undefined)) missing.push(`${def.type}/${d}: ${e.message}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it("keeps JavaScript's meaning", () => {
    const f = (js: string, d: DType, arity: 1 | 2 = 1) => translateSpec({ js, jsInt64: js }, d, arity);
    assert.equal(f("x !== x", "float32"), "(x != x)");
    assert.equal(f("Math.exp(x) * 0.5", "float32"), "(ts_exp(x) * 0.5f)");
    assert.equal(f("Math.exp(x) * 0.5", "float64"), "(ts_exp(x) * 0.5)");
    assert.equal(f("((a % b) + b) % b", "float32", 2), "ts_fmod((ts_fmod(a, b) + b), b)");
    assert.equal(f("x > 0n ? x : 0n", "int64"), "((x > 0LL) ? x : 0LL)");
    assert.equal(f("a ** b", "int64", 2), "ts_ipow(a, b)");
    assert.equal(f("x === Infinity || x === -Infinity", "float64"), "((x == T(TS_INF)) || (x == (-T(TS_INF))))");
    assert.throws(() => f("Math.hypot(x, x)", "float32"), TranslateError);
    assert.throws(() => parseExpr("x +"), TranslateError);
    assert.equal(translateSpec({ js: "Math.round(x)", cuda: "ts_rint(x)" }, "float32", 1), "ts_rint(x)");
  });

  it("collapses broadcast dims and plans reductions", () => {
    assert.deepEqual(collapseBroadcast([4, 5, 6], [4, 5, 6], [6]), { dims: [20, 6], sa: [6, 1], sb: [0, 1] });
    assert.deepEqual(collapseBroadcast([2, 3, 4], [2, 1, 4], [2, 3, 4]), { dims: [2, 3, 4], sa: [4, 0, 1], sb: [12, 4, 1] });
    assert.deepEqual(collapseBroadcast([3, 1, 4], [3, 1, 4], [1, 1, 1]), { dims: [12], sa: [1], sb: [0] });
    assert.deepEqual(reductionPasses([8, 16], [1]), [{ outer: 8, R: 16, inner: 1 }]);
    assert.deepEqual(reductionPasses([8, 16, 4], [0, 1]), [{ outer: 1, R: 128, inner: 4 }]);
    assert.deepEqual(reductionPasses([2, 3, 4, 5], [0, 2]), [
      { outer: 6, R: 4, inner: 5 },
      { outer: 1, R: 2, inner: 15 },
    ]);
  });
});

// ---------------------------------------------------------------- on the GPU, against the CPU

const SPECIALS = [0, -0, 0.5, -0.5, 1.5, -2.5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-30, 88.5, -88.5];

function values(dtype: DType, n: number, r: () => number, role: { op: string; arg: number }): tf.TensorLike {
  const { op, arg } = role;
  const intDomain = (): [number, number] => {
    if (op === "Pow" && arg === 1) return [0, 4];
    if (op === "Pow") return [-9, 9];
    if (dtype === "uint8") return [0, 255];
    return [-60, 60];
  };
  if (dtype === "float32" || dtype === "float64" || dtype === "float16" || dtype === "bfloat16") {
    const v = Array.from({ length: n }, (_, i) => (i < SPECIALS.length && n >= 40 ? SPECIALS[(i + arg * 3) % SPECIALS.length] : (r() - 0.5) * 8));
    return dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v);
  }
  if (dtype === "bool") return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  const [lo, hi] = intDomain();
  const ints = Array.from({ length: n }, () => {
    let v = lo + Math.floor(r() * (hi - lo + 1));
    if ((op === "FloorDiv" || op === "FloorMod") && arg === 1 && v === 0) v = 3;
    return v;
  });
  if (dtype === "int64") return BigInt64Array.from(ints.map((v) => BigInt(v)));
  if (dtype === "uint8") return Uint8Array.from(ints);
  return Int32Array.from(ints);
}

function makeTensor(v: tf.TensorLike, dtype: DType, shape: number[]): E {
  return tf.constant(v as never, { dtype, shape }) as E;
}

/**
 * Relative tolerance per dtype (float32: a few ulps of CUDA's math functions; float16 and bfloat16: one unit
 * of the type, since the GPU rounds its float result once where the CPU rounds the double one to float first).
 */
const RTOL: Partial<Record<DType, number>> = { float32: 2e-5, float16: 2 ** -10, bfloat16: 2 ** -7 };
const ATOL: Partial<Record<DType, number>> = { float32: 1e-6, float16: 2 ** -23, bfloat16: 1e-30 };
function assertMatches(what: string, got: E, want: E, rtol = RTOL[got.dtype] ?? 1e-12, atol = ATOL[got.dtype] ?? 1e-13): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  const g = got.dataSync() as ArrayLike<number | bigint>;
  const w = want.dataSync() as ArrayLike<number | bigint>;
  for (let i = 0; i < w.length; i++) {
    const a = g[i];
    const b = w[i];
    if (typeof b === "bigint" || got.dtype === "int32" || got.dtype === "uint8" || got.dtype === "bool") {
      assert.equal(a, b, `${what}: element ${i}: got ${a}, want ${b}`);
      continue;
    }
    const x = a as number;
    const y = b as number;
    if (Number.isNaN(y) || !Number.isFinite(y)) {
      assert.ok(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)) || x === y, `${what}: element ${i}: got ${x}, want ${y}`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}: element ${i}: got ${x}, want ${y} (diff ${Math.abs(x - y)})`);
  }
}

function deviceDTypes(def: OpSchema): DType[] {
  return (def.allowedDTypes ?? []).filter((d) => DEVICE_DTYPES.has(d) && (d !== "int64" || def.elementwise?.jsInt64 !== undefined));
}

describe("cuda: the device", gpuOnly, () => {
  it("reports the GPU, its compute capability and memory", (t) => {
    const gpus = tf.config.listPhysicalDevices("GPU");
    assert.ok(gpus.length >= 1);
    assert.equal(gpus[0].name, "/physical_device:GPU:0");
    const details = tf.config.experimental.getDeviceDetails(gpus[0]);
    assert.ok(details.deviceName && details.deviceName.length > 0);
    assert.ok(details.computeCapability![0] >= 3);
    const b = gpuBackend(0)!;
    const info = b.ctx.info;
    assert.ok(info.totalMemory > 2 ** 30);
    t.diagnostic(
      `${info.name}, sm_${info.computeCapability.join("")}, ${(info.totalMemory / 2 ** 30).toFixed(1)} GiB, ${info.multiprocessors} SMs; NVRTC ${b.compiler.version.join(".")} -> ${b.compiler.arch}; cuBLAS ${b.blas.version}`,
    );
    assert.deepEqual(tf.config.listLogicalDevices("GPU").map((d) => d.name)[0], "/device:GPU:0");
  });

  it("places ops with a GPU kernel on GPU:0 by default, others on the CPU", () => {
    const x = tf.constant([
      [1, 2],
      [3, 4],
    ]);
    const y = tf.matmul(x, x);
    assert.ok(onGpu(y), (y as E).device);
    assert.deepEqual((y as E).arraySync(), [
      [7, 10],
      [15, 22],
    ]);
    const s = tf.constant(["a", "b"]);
    assert.match((s as E).device, /CPU:0$/);
    const c = cpu(() => tf.add(x, 1));
    assert.match((c as E).device, /CPU:0$/);
    // A CPU value meets a GPU value: copied once, computed on the GPU.
    const z = tf.add(y, c);
    assert.ok(onGpu(z));
    assert.deepEqual((z as E).arraySync(), [
      [9, 13],
      [19, 27],
    ]);
  });
});

describe("cuda: device configuration through tf.config (a fresh process)", gpuOnly, () => {
  it("memory growth, a memory limit and visible devices are set before the first GPU op and fixed after it", () => {
    const r = child(
      `const [g] = tf.config.listPhysicalDevices("GPU");
       tf.config.experimental.setMemoryGrowth(g, true);
       tf.config.setLogicalDeviceConfiguration(g, [new tf.config.LogicalDeviceConfiguration({ memoryLimit: 2048 })]);
       tf.config.setVisibleDevices([g], "GPU");
       const before = { growth: tf.config.experimental.getMemoryGrowth(g), limit: tf.config.getLogicalDeviceConfiguration(g).map((c) => c.memoryLimit),
         visible: tf.config.getVisibleDevices("GPU").map((d) => d.name) };
       const dev = tf.add(tf.constant([1]), 1).device;
       tf.config.experimental.setMemoryGrowth(g, true); // unchanged: allowed after initialization
       let err = "";
       try { tf.config.experimental.setMemoryGrowth(g, false); } catch (e) { err = e.name + ": " + e.message; }
       const o = tf.config.experimental.getTsflowOptions();
       console.log(JSON.stringify({ before, dev, err, growth: o.gpuMemoryGrowth, limits: o.gpuMemoryLimitMb }));`,
      {},
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.before, { growth: true, limit: [2048], visible: ["/physical_device:GPU:0"] });
    assert.match(out.dev, /GPU:0$/);
    assert.match(out.err, /^FailedPreconditionError: tsflow setting gpuMemoryGrowth cannot be modified after being initialized/);
    assert.deepEqual([out.growth, out.limits], [[0], [2048]]);
  });
});

describe("cuda: elementwise ops generated from the op table", gpuOnly, () => {
  const shapesBinary: [number[], number[]][] = [
    [
      [5, 41],
      [5, 41],
    ],
    [[5, 41], [41]],
    [[41], [5, 41]],
    [
      [5, 1],
      [1, 41],
    ],
    [[], [5, 41]],
    [[5, 41], []],
    [
      [2, 3, 1, 7],
      [3, 5, 1],
    ],
  ];
  for (const def of allOpSchemas()) {
    if (!def.elementwise) continue;
    const arity = def.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
    it(`${def.type} matches the CPU on ${deviceDTypes(def).join(", ")}`, () => {
      let seed = 1;
      for (const dtype of deviceDTypes(def)) {
        const shapes: number[][][] = arity === 2 ? shapesBinary : [[[5, 41]], [[]], [[0, 3]]];
        for (const shp of shapes) {
          const r = rng(seed++);
          const ins = shp.map((s, i) => {
            const n = s.reduce((p, d) => p * d, 1);
            return makeTensor(values(dtype, n, r, { op: def.type, arg: i }), dtype, s);
          });
          const want = cpu(() => runOp(def.type, ins));
          const got = gpu(() => runOp(def.type, ins));
          assert.ok(onGpu(got), `${def.type}/${dtype} ran on ${got.device}`);
          assertMatches(`${def.type}/${dtype} [${shp.map((s) => `[${s}]`).join(" ")}]`, got, want);
          tf.dispose([want, got, ...ins]);
        }
      }
    });
  }
});

/** Runs op `type` eagerly through the public dispatcher. */
describe("cuda: other kernels against the CPU", gpuOnly, () => {
  it("Cast between every pair of device dtypes", () => {
    const ds: DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool"];
    const r = rng(7);
    for (const from of ds) {
      const x = makeTensor(values(from, 60, r, { op: "Cast", arg: 0 }), from, [60]);
      for (const to of ds) {
        const want = cpu(() => tf.cast(x, to)) as E;
        const got = gpu(() => runOp("Cast", [x], { DstT: to }));
        assertMatches(`Cast ${from}->${to}`, got, want);
      }
    }
  });

  it("GatherV2 moves rows of every width (16-, 8-, 4-, 2- and 1-byte units, every axis) as the CPU does", () => {
    const r = rng(17);
    const cases: { shape: number[]; axis: number; dtype: DType }[] = [
      { shape: [50, 28, 28, 1], axis: 0, dtype: "float32" }, // rows of 3136 bytes: 16-byte units
      { shape: [40, 10], axis: 0, dtype: "float32" }, // 40 bytes: 8-byte units
      { shape: [30, 3], axis: 0, dtype: "float32" }, // 12 bytes: 4-byte units
      { shape: [30, 3], axis: 0, dtype: "float16" }, // 6 bytes: 2-byte units
      { shape: [30, 5], axis: 0, dtype: "uint8" }, // 5 bytes: 1-byte units
      { shape: [4, 30, 8], axis: 1, dtype: "float64" }, // an inner axis, 64-byte rows
      { shape: [6, 7, 9], axis: 2, dtype: "int32" }, // the last axis: one element per row
      { shape: [20, 4], axis: 0, dtype: "int64" },
    ];
    for (const { shape, axis, dtype } of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = makeTensor(values(dtype, n, r, { op: "GatherV2", arg: 0 }), dtype, shape);
      const idx = tf.constant(
        Array.from({ length: 23 }, () => Math.floor(r() * shape[axis])),
        { dtype: "int32" },
      );
      const want = cpu(() => tf.gather(x, idx, { axis })) as E;
      const got = gpu(() => tf.gather(x, idx, { axis })) as E;
      assert.ok(onGpu(got), `${dtype} ${shape} axis ${axis} ran on the GPU`);
      assertMatches(`GatherV2 ${dtype} [${shape}] axis ${axis}`, got, want);
    }
  });

  it("Fill, ZerosLike, OnesLike and buffer relabelling", () => {
    const f = gpu(() => tf.fill([3, 4], 2.5)) as E;
    assert.ok(onGpu(f));
    assert.deepEqual(Array.from(f.dataSync() as Float32Array), new Array(12).fill(2.5));
    const i = gpu(() => tf.fill([5], tf.constant(7n, { dtype: "int64" }))) as E;
    assert.deepEqual(Array.from(i.dataSync() as BigInt64Array), [7n, 7n, 7n, 7n, 7n]);
    const z = gpu(() => tf.zerosLike(f)) as E;
    const o = gpu(() => tf.onesLike(tf.cast(f, "int32"))) as E;
    assert.deepEqual(Array.from(z.dataSync() as Float32Array), new Array(12).fill(0));
    assert.deepEqual(Array.from(o.dataSync() as Int32Array), new Array(12).fill(1));
    const rsh = gpu(() => tf.reshape(f, [2, -1])) as E;
    assert.deepEqual(rsh.shape, [2, 6]);
    assert.ok(onGpu(rsh));
    const ex = gpu(() => tf.squeeze(tf.reshape(f, [1, 12, 1]))) as E;
    assert.deepEqual(ex.shape, [12]);
  });

  it("data movement: transpose, broadcastTo, slice, reverse, concat, stack, unstack, split, where, oneHot", () => {
    const r = rng(13);
    for (const dtype of ["float32", "float64", "int32", "int64", "uint8", "bool"] as DType[]) {
      const x = makeTensor(values(dtype, 2 * 3 * 4 * 5, r, { op: "Move", arg: 0 }), dtype, [2, 3, 4, 5]);
      const y = makeTensor(values(dtype, 2 * 3 * 2 * 5, r, { op: "Move", arg: 1 }), dtype, [2, 3, 2, 5]);
      const cases: [string, () => tf.Tensor | tf.Tensor[]][] = [
        ["transpose", () => tf.transpose(x, [3, 1, 0, 2])],
        ["transpose default", () => tf.transpose(x)],
        ["broadcastTo", () => broadcastTo(tf.reshape(x, [2, 3, 1, 4, 5]), [2, 3, 6, 4, 5])],
        ["slice", () => tf.slice(x, [1, 0, 1, 2], [1, -1, 2, 3])],
        ["reverse", () => tf.reverse(x, [1, -1])],
        ["concat axis 2", () => tf.concat([x, y, x], 2)],
        ["concat axis 0", () => tf.concat([x, x], 0)],
        ["stack axis 1", () => tf.stack([x, x, x], 1)],
        ["unstack axis 2", () => tf.unstack(x, { axis: 2 })],
        ["split 3 ways on axis 1", () => tf.split(x, 3, 1)],
        ["split sizes on axis 3", () => tf.split(x, [1, 3, 1], 3)],
        ["where", () => tf.where(tf.greater(tf.cast(x, "float32"), 0.5), x, tf.reverse(x, [0]))],
        ["where scalar", () => tf.where(tf.greater(tf.cast(x, "float32"), 0.5), x, tf.cast(tf.constant(1), dtype))],
      ];
      for (const [name, f] of cases) {
        const want = [cpu(f)].flat() as E[];
        const got = [gpu(f)].flat() as E[];
        assert.equal(got.length, want.length);
        got.forEach((g, i) => {
          assert.ok(onGpu(g), `${name}/${dtype} ran on ${g.device}`);
          assertMatches(`${name}/${dtype} #${i}`, g, want[i]);
        });
      }
    }
    const idx = tf.constant(
      [
        [0, 2],
        [1, 5],
        [-1, 3],
      ],
      { dtype: "int32" },
    );
    for (const axis of [-1, 0, 1]) {
      assertMatches(`oneHot axis ${axis}`, gpu(() => tf.oneHot(idx, 4, 1, 0, axis)) as E, cpu(() => tf.oneHot(idx, 4, 1, 0, axis)) as E);
    }
  });

  it("reductions over any axes, with and without keepdims", () => {
    const r = rng(11);
    const cases: [number[], number[]][] = [
      [[7, 300], [1]],
      [[7, 300], [0]],
      [
        [7, 300],
        [0, 1],
      ],
      [
        [4, 5, 6, 7],
        [1, 3],
      ],
      [[3, 70000], [1]],
      [[70000, 3], [0]],
      [
        [2, 100000],
        [0, 1],
      ],
      [
        [1, 1, 5],
        [0, 1],
      ],
      [[6], [0]],
      [[3, 4], [-1]],
    ];
    for (const dtype of ["float32", "float64", "int32", "int64"] as DType[]) {
      for (const [shape, axes] of cases) {
        const n = shape.reduce((p, d) => p * d, 1);
        const float = dtype === "float32" || dtype === "float64";
        const x = makeTensor(float ? Float64Array.from({ length: n }, () => r() * 2 - 1) : values(dtype, n, r, { op: "Sum", arg: 0 }), dtype, shape);
        for (const op of ["Sum", "Mean", "Max", "Min"] as const) {
          for (const keep of [false, true]) {
            // float32 sums accumulate in double on the GPU: the reference is the float64 result, rounded.
            const want = cpu(() =>
              dtype === "float32"
                ? tf.cast(runOp(op, [tf.cast(x, "float64"), tf.constant(axes, { dtype: "int32" })], { keep_dims: keep }), "float32")
                : runOp(op, [x, tf.constant(axes, { dtype: "int32" })], { keep_dims: keep }),
            ) as E;
            const got = gpu(() => runOp(op, [x, tf.constant(axes, { dtype: "int32" })], { keep_dims: keep }));
            assert.ok(onGpu(got));
            assertMatches(
              `${op}/${dtype} [${shape}] axes [${axes}] keep=${keep}`,
              got,
              want,
              dtype === "float32" ? 2e-7 : 1e-12,
              dtype === "float32" ? 1e-7 : 1e-12,
            );
          }
        }
      }
    }
    const b = makeTensor(Uint8Array.from([1, 0, 1, 1, 1, 1]), "bool", [2, 3]);
    for (const op of ["Any", "All"] as const) {
      assertMatches(
        op,
        gpu(() => runOp(op, [b, tf.constant([1], { dtype: "int32" })])),
        cpu(() => runOp(op, [b, tf.constant([1], { dtype: "int32" })])),
      );
    }
  });

  it("float16 and bfloat16 natively: products on tensor cores, reductions, softmax, bias, stored 2 bytes an element", () => {
    const r = rng(16);
    for (const dtype of ["float16", "bfloat16"] as const) {
      // Finite values only (the op tests cover NaN and Inf): a product's relative error is then meaningful.
      const rand = (shape: number[]) =>
        makeTensor(
          Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (r() - 0.5) * 4),
          dtype,
          shape,
        );
      const a = rand([64, 96]);
      const b = rand([96, 80]);
      const ab = rand([3, 64, 96]);
      const bias = rand([80]);
      const cases: [string, () => E][] = [
        ["MatMul", () => runOp("MatMul", [a, b], {})],
        ["MatMul transposed", () => runOp("MatMul", [b, a], { transpose_a: true, transpose_b: true })],
        ["BatchMatMulV2", () => runOp("BatchMatMulV2", [ab, b], {})],
        ["Sum rows", () => tf.reduceSum(a, 1) as E],
        ["Mean all", () => tf.reduceMean(a) as E],
        ["Max columns", () => tf.reduceMax(a, 0) as E],
        ["Softmax", () => tf.nn.softmax(a) as E],
        ["LogSoftmax", () => tf.nn.logSoftmax(a) as E],
        ["BiasAdd", () => tf.nn.biasAdd(runOp("MatMul", [a, b], {}), bias) as E],
        ["BiasAddGrad", () => runOp("BiasAddGrad", [runOp("MatMul", [a, b], {})], {})],
        ["Transpose", () => tf.transpose(a) as E],
        ["Cast to float32", () => tf.cast(a, "float32") as E],
      ];
      for (const [name, f] of cases) {
        const want = cpu(f);
        const got = gpu(f);
        assert.ok(onGpu(got), `${name}/${dtype} ran on ${got.device}`);
        assert.equal(got.dtype, want.dtype);
        // Sums of many terms: float32 accumulation in another order, then one rounding to the type.
        assert.ok(relErr(got, want) < (dtype === "float16" ? 2e-3 : 1.5e-2), `${name}/${dtype}: relative error ${relErr(got, want)}`);
      }
      const before = gpuBackend(0)!.memory().numBytes;
      const onDevice = gpu(() => tf.add(a, a)) as E;
      assert.equal(gpuBackend(0)!.memory().numBytes - before, 64 * 96 * 2, "2 bytes an element on the device");
      onDevice.dispose();
    }
  });

  it("MatMul and BatchMatMulV2 through cuBLAS, fp32, TF32 and fp64", () => {
    const r = rng(3);
    const rel = (got: E, want: E) => {
      const g = got.dataSync() as Float32Array;
      const w = want.dataSync() as Float64Array;
      let num = 0;
      let den = 0;
      for (let i = 0; i < w.length; i++) {
        num += (g[i] - w[i]) ** 2;
        den += w[i] ** 2;
      }
      return Math.sqrt(num / den);
    };
    for (const [m, k, n] of [
      [64, 128, 32],
      [3, 5, 7],
      [257, 129, 65],
    ]) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        const a = tf.constant(
          Float64Array.from({ length: m * k }, () => r() - 0.5),
          { dtype: "float64", shape: ta ? [k, m] : [m, k] },
        ) as E;
        const b = tf.constant(
          Float64Array.from({ length: k * n }, () => r() - 0.5),
          { dtype: "float64", shape: tb ? [n, k] : [k, n] },
        ) as E;
        const ref = cpu(() => tf.matmul(a, b, ta, tb)) as E;
        const g64 = gpu(() => tf.matmul(a, b, ta, tb)) as E;
        assert.ok(onGpu(g64));
        assertMatches(`dgemm ${m}x${k}x${n} ${ta} ${tb}`, g64, ref, 1e-12, 1e-12);
        const a32 = tf.cast(a, "float32");
        const b32 = tf.cast(b, "float32");
        tf.config.experimental.enableTensorFloat32Execution(false);
        const e32 = rel(gpu(() => tf.matmul(a32, b32, ta, tb)) as E, ref);
        tf.config.experimental.enableTensorFloat32Execution(true);
        const etf = rel(gpu(() => tf.matmul(a32, b32, ta, tb)) as E, ref);
        assert.ok(e32 < 1e-6, `fp32 relative error ${e32}`);
        assert.ok(etf < 3e-3, `tf32 relative error ${etf}`);
      }
    }
    // Batched, with broadcast batch dims.
    for (const [sa, sb] of [
      [
        [4, 3, 5],
        [4, 5, 2],
      ],
      [
        [4, 3, 5],
        [5, 2],
      ],
      [
        [2, 1, 3, 5],
        [1, 3, 5, 2],
      ],
      [
        [1, 3, 5],
        [6, 5, 2],
      ],
    ]) {
      const a = tf.constant(
        Float64Array.from({ length: sa.reduce((p, d) => p * d, 1) }, () => r() - 0.5),
        { dtype: "float64", shape: sa },
      ) as E;
      const b = tf.constant(
        Float64Array.from({ length: sb.reduce((p, d) => p * d, 1) }, () => r() - 0.5),
        { dtype: "float64", shape: sb },
      ) as E;
      assertMatches(`batch matmul [${sa}] x [${sb}]`, gpu(() => tf.matmul(a, b)) as E, cpu(() => tf.matmul(a, b)) as E, 1e-12, 1e-12);
    }
  });

  it("softmax, log-softmax and the cross-entropies", () => {
    const r = rng(5);
    for (const dtype of ["float32", "float64"] as DType[]) {
      for (const [rows, C] of [
        [8, 10],
        [3, 1000],
        [1, 5],
      ]) {
        const x = makeTensor(
          Float64Array.from({ length: rows * C }, () => (r() - 0.5) * 20),
          dtype,
          [rows, C],
        );
        assertMatches("Softmax", gpu(() => tf.nn.softmax(x)) as E, cpu(() => tf.nn.softmax(x)) as E);
        assertMatches("LogSoftmax", gpu(() => tf.nn.logSoftmax(x)) as E, cpu(() => tf.nn.logSoftmax(x)) as E, 2e-5, 1e-5);
        const labels = tf.nn.softmax(
          makeTensor(
            Float64Array.from({ length: rows * C }, () => r() * 4),
            dtype,
            [rows, C],
          ),
        );
        const [gl, gb] = gpu(() => execute("SoftmaxCrossEntropyWithLogits", [x, labels])) as E[];
        const [cl, cb] = cpu(() => execute("SoftmaxCrossEntropyWithLogits", [x, labels])) as E[];
        assertMatches("xent loss", gl, cl, 2e-5, 1e-5);
        assertMatches("xent backprop", gb, cb);
        const sparse = tf.constant(
          Int32Array.from({ length: rows }, () => Math.floor(r() * C)),
          { dtype: "int32" },
        );
        const [sl, sb] = gpu(() => execute("SparseSoftmaxCrossEntropyWithLogits", [x, sparse])) as E[];
        const [csl, csb] = cpu(() => execute("SparseSoftmaxCrossEntropyWithLogits", [x, sparse])) as E[];
        assert.ok(onGpu(sl));
        assertMatches("sparse xent loss", sl, csl, 2e-5, 1e-5);
        assertMatches("sparse xent backprop", sb, csb);
      }
    }
  });

  it("a training step on the GPU equals the CPU's (tape, BiasAdd, optimizer update)", () => {
    const r = rng(9);
    const X = Float32Array.from({ length: 32 * 20 }, () => r() - 0.5);
    const Y = Int32Array.from({ length: 32 }, () => Math.floor(r() * 10));
    const W0 = Float32Array.from({ length: 20 * 10 }, () => (r() - 0.5) * 0.1);
    const run = (dev: <T>(f: () => T) => T) =>
      dev(() => {
        const w = new tf.Variable(tf.constant(W0, { shape: [20, 10] }));
        const bias = new tf.Variable(tf.zeros([10]));
        const opt = new tf.train.GradientDescentOptimizer(0.5);
        for (let step = 0; step < 3; step++) {
          const tape = new tf.GradientTape();
          const loss = tape.run(() =>
            tf.reduceMean(
              tf.nn.sparseSoftmaxCrossEntropyWithLogits({
                labels: tf.constant(Y),
                logits: tf.nn.biasAdd(tf.matmul(tf.constant(X, { shape: [32, 20] }), w), bias),
              }),
            ),
          );
          const grads = tape.gradient(loss, [w, bias]) as tf.Tensor[];
          opt.applyGradients([
            [grads[0], w],
            [grads[1], bias],
          ]);
        }
        return [w.value(), bias.value()] as E[];
      });
    tf.config.experimental.enableTensorFloat32Execution(false);
    try {
      const [gw, gb] = run(gpu);
      const [cw, cb] = run(cpu);
      assertMatches("trained weights", gw, cw, 1e-4, 1e-6);
      assertMatches("trained bias", gb, cb, 1e-4, 1e-6);
    } finally {
      tf.config.experimental.enableTensorFloat32Execution(true);
    }
  });

  it("a Session runs its graph on the GPU and logs placement", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = tf.placeholder("float32", [null, 3], { name: "x" });
      const w = tf.constant(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { dtype: "float32", name: "w" },
      );
      const y = tf.reduceSum(tf.nn.relu(tf.matmul(x, w, { name: "mm" })), 1, { name: "out" });
      const logs: string[] = [];
      const orig = console.log;
      console.log = (...a: unknown[]) => void logs.push(a.join(" "));
      let v: E;
      try {
        const s = new tf.Session({ config: { logDevicePlacement: true } });
        v = s.run(
          y,
          new Map<tf.SymbolicTensor, number[][]>([
            [
              x as tf.SymbolicTensor,
              [
                [1, 0, 0],
                [0, -1, 0],
              ],
            ],
          ]),
        ) as E;
      } finally {
        console.log = orig;
      }
      assert.deepEqual(Array.from(v.dataSync() as Float32Array), [3, 0]);
      assert.ok(
        logs.some((l) => /^mm: \(MatMul\): .*GPU:0$/.test(l)),
        logs.join("\n"),
      );
    });
  });
});

describe("cuda: training fully on the GPU", gpuOnly, () => {
  it("constants, zeros, ones and variables land on GPU:0; tf.device scopes still choose", () => {
    const c = tf.constant([1, 2, 3]);
    const z = tf.zeros([2, 3]);
    const o = tf.ones([4], "int32");
    for (const t of [c, z, o]) assert.ok(onGpu(t), (t as E).device);
    assert.match((cpu(() => tf.constant([1, 2])) as E).device, /CPU:0$/);
    assert.match((tf.constant(["a"]) as E).device, /CPU:0$/);
    const v = new tf.Variable([
      [1, 2],
      [3, 4],
    ]);
    assert.ok(onGpu(v.value()));
    const fromCpu = new tf.Variable(cpu(() => tf.constant([5, 6])));
    assert.ok(onGpu(fromCpu.value()), "a variable is placed on the default device whatever its initial value's");
    const onCpuVar = cpu(() => new tf.Variable([1, 2]));
    assert.match((onCpuVar.value() as E).device, /CPU:0$/);
    assert.deepEqual((c as E).arraySync(), [1, 2, 3]);
    assert.deepEqual((z as E).arraySync(), [
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("random ops run on the GPU and draw the CPU's numbers (uniform bit for bit)", () => {
    for (const dtype of ["float32", "float64"] as DType[]) {
      for (const n of [1, 7, 1000, 4099]) {
        const draw = (dev: <T>(f: () => T) => T) =>
          dev(() => {
            tf.random.setSeed(11);
            const a = tf.randomUniform([n], { dtype, seed: 3 }) as E;
            const b = tf.randomUniform([n], { dtype, seed: 3 }) as E; // the same generator, continued
            const c = tf.randomNormal([n], { dtype, seed: 4 }) as E;
            const d = tf.randomNormal([n + 1], { dtype, seed: 4 }) as E;
            return [a, b, c, d];
          });
        const g = draw(gpu);
        const c = draw(cpu);
        for (const t of g) assert.ok(onGpu(t), t.device);
        assert.deepEqual(Array.from(g[0].dataSync() as Float32Array), Array.from(c[0].dataSync() as Float32Array), `uniform ${dtype} ${n}`);
        assert.deepEqual(Array.from(g[1].dataSync() as Float32Array), Array.from(c[1].dataSync() as Float32Array), `uniform continued ${dtype} ${n}`);
        assertMatches(`normal ${dtype} ${n}`, g[2], c[2], dtype === "float32" ? 1e-6 : 1e-12, 1e-7);
        assertMatches(`normal continued ${dtype} ${n + 1}`, g[3], c[3], dtype === "float32" ? 1e-6 : 1e-12, 1e-7);
      }
    }
    // Truncated normals redraw per element on the GPU (their own stream): check range and moments.
    tf.random.setSeed(5);
    const t = gpu(() => tf.truncatedNormal([200000], { seed: 1 })) as E;
    assert.ok(onGpu(t));
    const v = t.dataSync() as Float32Array;
    let s1 = 0;
    let s2 = 0;
    for (const x of v) {
      assert.ok(Math.abs(x) <= 2, `truncated normal value ${x}`);
      s1 += x;
      s2 += x * x;
    }
    const mean = s1 / v.length;
    const sd = Math.sqrt(s2 / v.length - mean * mean);
    assert.ok(Math.abs(mean) < 0.01 && Math.abs(sd - 0.8796) < 0.01, `mean ${mean} sd ${sd}`);
    tf.random.setSeed(5);
    const again = gpu(() => tf.truncatedNormal([200000], { seed: 1 })) as E;
    assert.deepEqual(Array.from(again.dataSync() as Float32Array).slice(0, 100), Array.from(v).slice(0, 100));
  });

  it("Conv2D and both its gradients match the CPU (fp64, fp32, TF32; strides, SAME/VALID, dilations, 1x1)", () => {
    const r = rng(21);
    const cases: { x: number[]; f: number[]; s: number; d: number; pad: string }[] = [
      { x: [2, 9, 11, 3], f: [3, 3, 3, 4], s: 1, d: 1, pad: "SAME" },
      { x: [3, 28, 28, 1], f: [5, 5, 1, 6], s: 1, d: 1, pad: "SAME" },
      { x: [3, 14, 14, 6], f: [5, 5, 6, 16], s: 1, d: 1, pad: "VALID" },
      { x: [2, 10, 9, 2], f: [3, 2, 2, 5], s: 2, d: 1, pad: "SAME" },
      { x: [2, 10, 9, 2], f: [3, 3, 2, 3], s: 2, d: 1, pad: "VALID" },
      { x: [1, 12, 12, 2], f: [3, 3, 2, 2], s: 1, d: 2, pad: "SAME" },
      { x: [4, 5, 5, 8], f: [1, 1, 8, 3], s: 1, d: 1, pad: "VALID" },
      { x: [2, 6, 6, 3], f: [3, 3, 3, 40], s: 1, d: 1, pad: "SAME" }, // more than 32 output channels
      { x: [2, 5, 5, 40], f: [3, 3, 40, 2], s: 2, d: 1, pad: "SAME" }, // more than 32 input channels
    ];
    const b = gpuBackend(0)!;
    const fallbacks = () => ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"].reduce((a, k) => a + (b.stats.fallbacks.get(k) ?? 0), 0);
    const before = fallbacks();
    for (const alg of ["direct", "im2col"] as const) withOptions({ convAlgorithm: alg }, () => convCases(alg));
    assert.equal(fallbacks(), before, "no convolution fell back to the CPU");
    // Column sums of [R, C] with few columns (a convolution's BiasAddGrad) against the CPU.
    for (const [R, C] of [
      [50000, 6],
      [4096, 16],
      [12544, 64],
      [1024, 120],
      [300, 256],
    ]) {
      const v = tf.constant(
        Float32Array.from({ length: R * C }, () => r() - 0.5),
        { shape: [R, C] },
      ) as E;
      // Sums accumulate in double on the GPU: the reference is the float64 sum, rounded.
      const want = cpu(() => tf.cast(tf.reduceSum(tf.cast(v, "float64"), 0), "float32")) as E;
      assertMatches(
        `BiasAddGrad [${R}, ${C}]`,
        gpu(() => runOp("BiasAddGrad", [v], { data_format: "NHWC" })),
        want,
        2e-7,
        1e-7,
      );
      assertMatches(`Sum over rows [${R}, ${C}]`, gpu(() => tf.reduceSum(v, 0)) as E, want, 2e-7, 1e-7);
    }
    function convCases(alg: string): void {
      for (const c of cases) {
        const attrs = { strides: [1, c.s, c.s, 1], padding: c.pad, dilations: [1, c.d, c.d, 1], data_format: "NHWC" };
        const x = tf.constant(
          Float64Array.from({ length: c.x.reduce((p, v) => p * v, 1) }, () => r() - 0.5),
          { dtype: "float64", shape: c.x },
        ) as E;
        const f = tf.constant(
          Float64Array.from({ length: c.f.reduce((p, v) => p * v, 1) }, () => r() - 0.5),
          { dtype: "float64", shape: c.f },
        ) as E;
        const y = cpu(() => runOp("Conv2D", [x, f], attrs));
        const dy = tf.constant(
          Float64Array.from({ length: y.size }, () => r() - 0.5),
          { dtype: "float64", shape: y.shape },
        ) as E;
        const xs = tf.constant(c.x, { dtype: "int32" });
        const fs = tf.constant(c.f, { dtype: "int32" });
        const ref = [y, cpu(() => runOp("Conv2DBackpropInput", [xs, f, dy], attrs)), cpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs))];
        const what = `conv ${alg} ${JSON.stringify(c)}`;
        const run = (x_: E, f_: E, dy_: E) =>
          gpu(() => [
            runOp("Conv2D", [x_, f_], attrs),
            runOp("Conv2DBackpropInput", [xs, f_, dy_], attrs),
            runOp("Conv2DBackpropFilter", [x_, fs, dy_], attrs),
          ]);
        const g64 = run(x, f, dy);
        g64.forEach((t, i) => {
          assert.ok(onGpu(t), `${what} #${i} on ${t.device}`);
          const e = relErr(t, ref[i]);
          assert.ok(e < 1e-12, `${what} fp64 #${i}: relative error ${e}`);
        });
        const [x32, f32, dy32] = [x, f, dy].map((t) => tf.cast(t, "float32") as E);
        tf.config.experimental.enableTensorFloat32Execution(false);
        try {
          run(x32, f32, dy32).forEach((t, i) => {
            const e = relErr(t, ref[i]);
            assert.ok(e < 1e-5, `${what} fp32 #${i}: relative error ${e}`);
          });
        } finally {
          tf.config.experimental.enableTensorFloat32Execution(true);
        }
        run(x32, f32, dy32).forEach((t, i) => {
          const e = relErr(t, ref[i]);
          assert.ok(e < 3e-3, `${what} tf32 #${i}: relative error ${e}`);
        });
      }
    }
  });

  it("float16 and bfloat16 convolutions stay on the GPU where cuDNN declines them (3 input channels), equal to float32 rounded", () => {
    const b = gpuBackend(0)!;
    const convOps = ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"];
    const fallbacks = () => convOps.reduce((a, k) => a + (b.stats.fallbacks.get(k) ?? 0), 0);
    const r = rng(33);
    const x32 = tf.constant(
      Array.from({ length: 4 * 8 * 8 * 3 }, () => r() * 2 - 1),
      { shape: [4, 8, 8, 3] },
    );
    const f32 = tf.constant(
      Array.from({ length: 3 * 3 * 3 * 16 }, () => r() * 2 - 1),
      { shape: [3, 3, 3, 16] },
    );
    for (const dtype of ["float16", "bfloat16"] as const) {
      const before = fallbacks();
      const run = (x: tf.Tensor, f: tf.Tensor) =>
        gpu(() => {
          const tape = new tf.GradientTape();
          let y: tf.Tensor | null = null;
          const loss = tape.run(() => {
            tape.watch([x, f]);
            y = tf.nn.conv2d(x, f, 1, "SAME");
            return tf.reduceSum(tf.mul(y, y));
          }) as tf.Tensor;
          return [y, ...(tape.gradient(loss, [x, f]) as tf.Tensor[])] as E[];
        });
      const xn = tf.cast(x32, dtype);
      const fn = tf.cast(f32, dtype);
      const narrow = run(xn, fn);
      const wide = run(tf.cast(xn, "float32"), tf.cast(fn, "float32"));
      assert.equal(fallbacks(), before, `${dtype}: no convolution fell back to the CPU`);
      narrow.forEach((t, i) => {
        assert.equal(t.dtype, dtype);
        assert.ok(onGpu(t));
        assert.ok(relErr(tf.cast(t, "float32") as E, wide[i]) < (dtype === "float16" ? 5e-3 : 3e-2), `${dtype} output ${i}`);
      });
    }
  });

  it("MaxPool and MaxPoolGrad match the CPU (2x2/2, overlapping 3x3 windows, SAME padding)", () => {
    const r = rng(23);
    for (const dtype of ["float32", "float64"] as DType[]) {
      for (const [k, s, pad] of [
        [2, 2, "VALID"],
        [3, 2, "SAME"],
        [3, 1, "SAME"],
        [2, 2, "SAME"],
      ] as [number, number, string][]) {
        const shape = [2, 9, 8, 3];
        const attrs = { ksize: [1, k, k, 1], strides: [1, s, s, 1], padding: pad, data_format: "NHWC" };
        const x = makeTensor(
          Float64Array.from({ length: 2 * 9 * 8 * 3 }, () => r() * 10 - 5),
          dtype,
          shape,
        );
        const y = cpu(() => runOp("MaxPool", [x], attrs));
        const gy = gpu(() => runOp("MaxPool", [x], attrs));
        assert.ok(onGpu(gy));
        assertMatches(`MaxPool ${dtype} ${k}/${s} ${pad}`, gy, y, 0, 0);
        const dy = makeTensor(
          Float64Array.from({ length: y.size }, () => r() - 0.5),
          dtype,
          y.shape,
        );
        const want = cpu(() => runOp("MaxPoolGrad", [x, y, dy], attrs));
        const got = gpu(() => runOp("MaxPoolGrad", [x, gy, dy], attrs));
        assert.ok(onGpu(got));
        assertMatches(`MaxPoolGrad ${dtype} ${k}/${s} ${pad}`, got, want, dtype === "float32" ? 1e-6 : 1e-14, 1e-7);
      }
      // Explicit (asymmetric) paddings: the own kernel (cuDNN pools take symmetric padding only).
      const attrs = { ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "EXPLICIT", explicit_paddings: [0, 0, 1, 2, 2, 0, 0, 0], data_format: "NHWC" };
      const x = makeTensor(
        Float64Array.from({ length: 2 * 7 * 6 * 3 }, () => r() * 10 - 5),
        dtype,
        [2, 7, 6, 3],
      );
      const y = cpu(() => runOp("MaxPool", [x], attrs));
      const gy = gpu(() => runOp("MaxPool", [x], attrs));
      assert.ok(onGpu(gy));
      assertMatches(`MaxPool ${dtype} explicit`, gy, y, 0, 0);
      const dy = makeTensor(
        Float64Array.from({ length: y.size }, () => r() - 0.5),
        dtype,
        y.shape,
      );
      assertMatches(
        `MaxPoolGrad ${dtype} explicit`,
        gpu(() => runOp("MaxPoolGrad", [x, gy, dy], attrs)),
        cpu(() => runOp("MaxPoolGrad", [x, y, dy], attrs)),
        dtype === "float32" ? 1e-6 : 1e-14,
        1e-7,
      );
    }
  });

  it("AvgPool and AvgPoolGrad match the CPU (padding not counted, asymmetric SAME, overlapping windows)", () => {
    const r = rng(29);
    for (const dtype of ["float32", "float64"] as DType[]) {
      for (const [k, s, pad] of [
        [2, 2, "VALID"],
        [3, 2, "SAME"],
        [3, 1, "SAME"],
        [2, 2, "SAME"],
        [4, 3, "SAME"],
      ] as [number, number, string][]) {
        const shape = [2, 9, 8, 3];
        const attrs = { ksize: [1, k, k, 1], strides: [1, s, s, 1], padding: pad, data_format: "NHWC" };
        const x = makeTensor(
          Float64Array.from({ length: 2 * 9 * 8 * 3 }, () => r() * 10 - 5),
          dtype,
          shape,
        );
        const y = cpu(() => runOp("AvgPool", [x], attrs));
        const gy = gpu(() => runOp("AvgPool", [x], attrs));
        assert.ok(onGpu(gy));
        assertMatches(`AvgPool ${dtype} ${k}/${s} ${pad}`, gy, y, dtype === "float32" ? 1e-6 : 1e-14, 1e-7);
        const dy = makeTensor(
          Float64Array.from({ length: y.size }, () => r() - 0.5),
          dtype,
          y.shape,
        );
        const sh = makeTensor(Float64Array.from(shape), "int32", [4]);
        const want = cpu(() => runOp("AvgPoolGrad", [sh, dy], attrs));
        const got = gpu(() => runOp("AvgPoolGrad", [sh, dy], attrs));
        assert.ok(onGpu(got));
        assertMatches(`AvgPoolGrad ${dtype} ${k}/${s} ${pad}`, got, want, dtype === "float32" ? 1e-6 : 1e-14, 1e-7);
      }
    }
  });

  it("NCHW convolutions and pooling run on the GPU (through NHWC) and match the CPU", () => {
    const r = rng(31);
    const rand = (shape: number[], dtype: DType) =>
      makeTensor(
        Float64Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => r() * 2 - 1),
        dtype,
        shape,
      );
    for (const dtype of ["float32", "float64"] as DType[]) {
      const tol = dtype === "float32" ? 1e-5 : 1e-12;
      const x = rand([2, 3, 9, 8], dtype);
      const f = rand([3, 3, 3, 5], dtype);
      for (const [s, pad] of [
        [1, "SAME"],
        [2, "VALID"],
        [2, "SAME"],
      ] as [number, string][]) {
        const attrs = { strides: [1, 1, s, s], padding: pad, data_format: "NCHW", dilations: [1, 1, 1, 1] };
        const y = cpu(() => runOp("Conv2D", [x, f], attrs));
        const gy = gpu(() => runOp("Conv2D", [x, f], attrs));
        assert.ok(onGpu(gy), "Conv2D NCHW on the GPU");
        assertMatches(`Conv2D NCHW ${dtype} ${s} ${pad}`, gy, y, tol, tol);
        const dy = rand(y.shape, dtype);
        const xs = makeTensor(Float64Array.from(x.shape), "int32", [4]);
        const fs = makeTensor(Float64Array.from(f.shape), "int32", [4]);
        const dx = gpu(() => runOp("Conv2DBackpropInput", [xs, f, dy], attrs));
        assert.ok(onGpu(dx));
        assertMatches(
          `Conv2DBackpropInput NCHW ${dtype} ${s} ${pad}`,
          dx,
          cpu(() => runOp("Conv2DBackpropInput", [xs, f, dy], attrs)),
          tol,
          tol,
        );
        const df = gpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs));
        assert.ok(onGpu(df));
        assertMatches(
          `Conv2DBackpropFilter NCHW ${dtype} ${s} ${pad}`,
          df,
          cpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs)),
          tol,
          tol,
        );
      }
      for (const op of ["MaxPool", "AvgPool"] as const) {
        const attrs = { ksize: [1, 1, 3, 3], strides: [1, 1, 2, 2], padding: "SAME", data_format: "NCHW" };
        const y = cpu(() => runOp(op, [x], attrs));
        const gy = gpu(() => runOp(op, [x], attrs));
        assert.ok(onGpu(gy), `${op} NCHW on the GPU`);
        assertMatches(`${op} NCHW ${dtype}`, gy, y, tol, tol);
        const dy = rand(y.shape, dtype);
        const xs = makeTensor(Float64Array.from(x.shape), "int32", [4]);
        const ins = op === "MaxPool" ? [x, y, dy] : [xs, dy];
        const gins = op === "MaxPool" ? [x, gy, dy] : [xs, dy];
        const got = gpu(() => runOp(`${op}Grad` as const, gins, attrs));
        assert.ok(onGpu(got));
        assertMatches(
          `${op}Grad NCHW ${dtype}`,
          got,
          cpu(() => runOp(`${op}Grad` as const, ins, attrs)),
          tol,
          tol,
        );
      }
    }
  });

  it("LeNet-5 trains on the GPU, eagerly and in a Session, as on the CPU (fp32)", () => {
    const batch = 16;
    const data = syntheticBatch(batch);
    const b = gpuBackend(0)!;
    const fallbacksBefore = [...b.stats.fallbacks.values()].reduce((a, v) => a + v, 0);
    const eager = (dev: <T>(f: () => T) => T) =>
      dev(() => {
        tf.random.setSeed(1);
        const m = buildModel("lenet");
        return trainEagerly(m, tf.constant(data.x, { shape: [batch, 28, 28, 1] }), tf.constant(data.y, { shape: [batch, 10] }), 3, 0.1);
      });
    const graph = (dev: string) => {
      const g = new tf.Graph();
      return g.asDefault(() =>
        tf.device(dev, () => {
          tf.setRandomSeed(1);
          const x = tf.placeholder("float32", [null, 28, 28, 1]);
          const y = tf.placeholder("float32", [null, 10]);
          const m = buildModel("lenet");
          const loss = xentLoss(y, m.forward(x));
          const train = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
          const sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const feed = new Map<tf.Tensor, Float32Array>([
            [x, data.x],
            [y, data.y],
          ]);
          const losses: number[] = [];
          for (let i = 0; i < 3; i++) losses.push((sess.run([loss, train], feed) as [E, null])[0].item() as number);
          return { losses, vars: m.vars.map((v) => sess.run(v.value()) as E) };
        }),
      );
    };
    tf.config.experimental.enableTensorFloat32Execution(false);
    try {
      const ge = eager(gpu);
      assert.ok(
        ge.vars.every((v) => onGpu(v)),
        "eager variables stay on the GPU after their updates",
      );
      const ce = eager(cpu);
      const gg = graph("/gpu:0");
      const cg = graph("/cpu:0");
      // (Graph and eager draw different initial values: graph-level and eager seeds differ, as in TensorFlow.)
      for (const [what, got, want] of [
        ["eager", ge, ce],
        ["graph", gg, cg],
      ] as const) {
        got.losses.forEach((l, i) =>
          assert.ok(Math.abs(l - want.losses[i]) <= 1e-4 * Math.abs(want.losses[i]), `${what} loss ${i}: ${l} vs ${want.losses[i]}`),
        );
        got.vars.forEach((v, i) => {
          const e = relErr(v, want.vars[i]);
          assert.ok(e < 1e-4, `${what} variable ${i}: relative error ${e}`);
        });
      }
    } finally {
      tf.config.experimental.enableTensorFloat32Execution(true);
    }
    const fallbacksAfter = [...b.stats.fallbacks.values()].reduce((a, v) => a + v, 0);
    assert.equal(fallbacksAfter, fallbacksBefore, `ops fell back to the CPU: ${JSON.stringify([...b.stats.fallbacks])}`);
  });
});

describe("cuda: grouped optimizer updates and cuBLASLt", gpuOnly, () => {
  it("GradientDescent updates all variables in grouped launches, equal to one launch per variable", () => {
    const b = gpuBackend(0)!;
    // 40 variables (more than one group of 32), sizes from 1 to past a block, float32 and float64.
    for (const dtype of ["float32", "float64"] as const) {
      const shapes = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? [i + 1] : [i + 1, 37]));
      const init = shapes.map((s, i) => tf.randomUniform(s, -1, 1, dtype, i + 1));
      const grads = shapes.map((s, i) => tf.randomUniform(s, -1, 1, dtype, i + 100));
      const grouped = init.map((t) => new tf.Variable(t));
      const single = init.map((t) => new tf.Variable(t));
      const opt = new tf.train.GradientDescentOptimizer(0.05);
      const launches0 = b.stats.launches;
      for (let step = 0; step < 3; step++) opt.applyGradients(grads.map((g, i) => [g, grouped[i]] as [tf.Tensor, tf.Variable]));
      const groupedLaunches = b.stats.launches - launches0;
      for (let step = 0; step < 3; step++) grads.forEach((g, i) => opt.applyGradients([[g, single[i]]]));
      assert.ok(groupedLaunches <= 3 * 2 + 3, `${dtype}: ${groupedLaunches} launches for 3 grouped steps of 40 variables`);
      grouped.forEach((v, i) => {
        assert.ok(onGpu(v.value()), "variables stay on the GPU");
        assert.deepEqual(v.value().dataSync(), single[i].value().dataSync(), `${dtype} variable ${i}`);
      });
      // And both equal the CPU's update to float rounding.
      const want = cpu(() => {
        const vs = init.map((t) => new tf.Variable(tf.identity(t)));
        for (let step = 0; step < 3; step++) opt.applyGradients(grads.map((g, i) => [tf.identity(g), vs[i]] as [tf.Tensor, tf.Variable]));
        return vs.map((v) => v.value() as E);
      });
      grouped.forEach((v, i) => assert.ok(relErr(v.value() as E, want[i]) < 1e-6, `${dtype} variable ${i} vs the CPU`));
      tf.dispose([...init, ...grads]);
      for (const v of [...grouped, ...single]) v.dispose();
    }
  });

  it("a Session step runs its GradientDescent updates as one group, with the CPU Session's results", () => {
    const b = gpuBackend(0)!;
    const run = (device: string) => {
      const g = new tf.Graph();
      return g.asDefault(() =>
        tf.device(device, () => {
          const vs = Array.from({ length: 40 }, (_, i) => new tf.Variable(tf.randomUniform([i + 1, 5], -1, 1, "float32", i + 1)));
          const loss = tf.addN(vs.map((v) => tf.reduceSum(tf.square(v))));
          const train = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
          const sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          sess.run(train);
          const l0 = b.stats.launches;
          sess.run(train);
          const launches = b.stats.launches - l0;
          const values = vs.map((v) => sess.run(v.value()) as E);
          sess.close();
          return { launches, values };
        }),
      );
    };
    withOptions({ cudaGraphs: false }, () => {
      const got = run("/gpu:0");
      const want = run("/cpu:0");
      const ungrouped = withOptions({ groupUpdates: false }, () => run("/gpu:0"));
      got.values.forEach((v, i) => assert.ok(relErr(v, want.values[i]) < 1e-6, `variable ${i}`));
      got.values.forEach((v, i) => assert.deepEqual(v.dataSync(), ungrouped.values[i].dataSync(), `variable ${i}, grouped vs not`));
      // 40 updates in 2 launches (32 + 8) instead of 40.
      assert.equal(ungrouped.launches - got.launches, 38, `${got.launches} launches per step grouped, ${ungrouped.launches} not`);
    });
  });

  it("matrix products go through cuBLASLt where it is present, with the classic call's results", () => {
    const b = gpuBackend(0)!;
    assert.ok(b.blas.usesLt, "cuBLASLt loaded beside cuBLAS");
    const a = tf.randomUniform([67, 129], -1, 1, "float64", 3);
    const c = tf.randomUniform([129, 31], -1, 1, "float64", 4);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const A = ta ? tf.transpose(a) : a;
      const C = tb ? tf.transpose(c) : c;
      const got = gpu(() => tf.matmul(A, C, ta, tb)) as E;
      const want = cpu(() => tf.matmul(A, C, ta, tb)) as E;
      assert.ok(relErr(got, want) < 1e-12, `transposes ${ta}/${tb}`);
    }
  });
});

describe("cuda: Session steps captured as CUDA graphs", gpuOnly, () => {
  it("the second run captures, later runs replay, and every result equals the uncaptured run's", () => {
    const b = gpuBackend(0)!;
    const batch = 8;
    const feedsFor = (k: number) => {
      const d = syntheticBatch(batch);
      for (let i = 0; i < d.x.length; i++) d.x[i] = (d.x[i] + 0.1 * k) % 1;
      return d;
    };
    const run = (graphs: boolean) =>
      withOptions({ cudaGraphs: graphs }, () => {
        const g = new tf.Graph();
        return g.asDefault(() => {
          tf.setRandomSeed(7);
          const x = tf.placeholder("float32", [null, 28, 28, 1]);
          const y = tf.placeholder("float32", [null, 10]);
          const m = buildModel("lenet");
          const loss = xentLoss(y, m.forward(x));
          const train = new tf.train.GradientDescentOptimizer(0.05).minimize(loss);
          const reset = m.vars[9].assign(tf.zeros([10]));
          const sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const held: E[] = [];
          const captured0 = b.stats.graphsCaptured;
          const launches0 = b.stats.graphLaunches;
          let kernelsDuringReplays = 0;
          for (let k = 0; k < 6; k++) {
            if (k === 4) sess.run(reset); // another step changes a variable between replays
            const d = feedsFor(k);
            const l0 = b.stats.launches;
            held.push(
              (
                sess.run(
                  [loss, train],
                  new Map<tf.Tensor, Float32Array>([
                    [x, d.x],
                    [y, d.y],
                  ]),
                ) as [E, null]
              )[0],
            );
            if (k >= 2 && k !== 4) kernelsDuringReplays += b.stats.launches - l0;
          }
          // Values fetched earlier are still what they were (a replay does not overwrite them).
          const losses = held.map((t) => t.item() as number);
          const vars = m.vars.map((v) => Array.from(sess.run(v.value()).dataSync() as Float32Array));
          return { losses, vars, captured: b.stats.graphsCaptured - captured0, launches: b.stats.graphLaunches - launches0, kernelsDuringReplays };
        });
      });
    const plain = run(false);
    const cap = run(true);
    assert.equal(plain.captured, 0);
    assert.ok(cap.captured >= 1, "the training step was captured");
    assert.ok(cap.launches >= 4, `graph launches: ${cap.launches}`);
    assert.equal(cap.kernelsDuringReplays, 0, "a replay launches no kernel by itself");
    assert.ok(new Set(plain.losses).size === plain.losses.length, "losses change step by step");
    cap.losses.forEach((l, i) => assert.ok(Math.abs(l - plain.losses[i]) <= 1e-6 * Math.abs(plain.losses[i]), `loss ${i}: ${l} vs ${plain.losses[i]}`));
    cap.vars.forEach((v, i) =>
      v.forEach((w, j) =>
        assert.ok(Math.abs(w - plain.vars[i][j]) <= 1e-6 + 1e-5 * Math.abs(plain.vars[i][j]), `variable ${i}[${j}]: ${w} vs ${plain.vars[i][j]}`),
      ),
    );
  });
});

describe("cuda: errors and memory", gpuOnly, () => {
  it("two captured steps updating one variable share its buffer: alternating between them copies nothing, exactly", () => {
    const b = gpuBackend(0)!;
    const g = new tf.Graph();
    g.asDefault(() =>
      tf.device("/gpu:0", () => {
        const v = new tf.Variable(tf.fill([256], 1), { name: "v" });
        const d = tf.placeholder("float32", [256], { name: "d" });
        // Two fetch signatures of one Session: two captured graphs (as Keras fit's full and last batches).
        const up = tf.group([tf.compat.v1.assignAdd(v, tf.multiply(d, 3))]);
        const down = tf.group([tf.compat.v1.assignSub(v, tf.multiply(d, 2))]);
        const sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        const feed = { "d:0": Float32Array.from({ length: 256 }, (_, i) => i % 4) };
        const captured0 = b.stats.graphsCaptured;
        for (let k = 0; k < 2; k++) {
          sess.run(up, feed);
          sess.run(down, feed);
        }
        assert.equal(b.stats.graphsCaptured - captured0, 2, "both steps captured");
        const [copies0, launches0] = [b.stats.homeCopies, b.stats.graphLaunches];
        for (let k = 0; k < 4; k++) {
          sess.run(up, feed);
          sess.run(down, feed);
        }
        assert.equal(b.stats.graphLaunches - launches0, 8);
        assert.equal(b.stats.homeCopies - copies0, 0, "no copy of the variable between the steps");
        // Six rounds of +3d then -2d.
        assert.deepEqual(
          Array.from(sess.run(v.value()).dataSync() as Float32Array),
          Array.from({ length: 256 }, (_, i) => 1 + 6 * (i % 4)),
        );
        sess.close();
      }),
    );
  });
  it("out of memory is a ResourceExhaustedError naming the op and the bytes; the GPU stays usable", () => {
    assert.throws(
      // 256 GiB: more than any single GPU of today holds (an H200 has 141 GB).
      () => gpu(() => tf.fill([2 ** 21, 2 ** 15], 1.5)),
      (e: Error) =>
        e instanceof tf.errors.ResourceExhaustedError &&
        /OOM when allocating tensor with shape\[2097152,32768\] and type float32 for op Fill \(274877906944 bytes\)/.test(e.message),
    );
    const ok = gpu(() => tf.add(tf.ones([4]), 1)) as E;
    assert.deepEqual(Array.from(ok.dataSync() as Float32Array), [2, 2, 2, 2]);
  });

  it("a maxTensorMb the user sets holds on the GPU too; strings, kept on the host, meet the host's limits", () => {
    withOptions({ maxTensorMb: 1 }, () => {
      assert.throws(
        () => gpu(() => tf.zeros([2048, 1024])),
        (e: Error) => e instanceof tf.errors.ResourceExhaustedError && /TSFLOW_MAX_TENSOR_MB/.test(e.message),
      );
      const g = new tf.Graph();
      g.asDefault(() => {
        const n = tf.placeholder("int32", [1]);
        const s = tf.device("/gpu:0", () => tf.fill(n, "x"));
        const sess = new tf.Session();
        assert.throws(() => sess.run(s, { [n.name]: [2 ** 21] }), tf.errors.ResourceExhaustedError);
        sess.close();
      });
    });
    // Without a limit set, a GPU tensor larger than half the host's memory is the device's to refuse, not the host's.
    (gpu(() => tf.zeros([1024, 1024])) as E).dispose();
  });

  it("an NVRTC compile failure is an InternalError carrying the compiler's log", () => {
    const b = gpuBackend(0)!;
    assert.throws(
      () => b.fn("broken.test", "k", () => `extern "C" __global__ void k(float* o) { o[0] = undefined_name; }`),
      (e: Error) => e instanceof tf.errors.InternalError && /undefined_name/.test(e.message) && /NVRTC failed to compile/.test(e.message),
    );
  });

  it("getMemoryInfo follows tensors and the allocator caches freed blocks", () => {
    const before = tf.config.experimental.getMemoryInfo("GPU:0");
    const t = gpu(() => tf.fill([1024, 1024], 0)) as E;
    const during = tf.config.experimental.getMemoryInfo("GPU:0");
    assert.ok(during.current >= before.current + 4 * 2 ** 20, JSON.stringify({ before, during }));
    assert.ok(during.peak >= during.current);
    t.dispose();
    const after = tf.config.experimental.getMemoryInfo("GPU:0");
    assert.equal(after.current, before.current);
    const b = gpuBackend(0)!;
    const allocs = b.allocator.deviceAllocs;
    (gpu(() => tf.fill([1024, 1024], 0)) as E).dispose();
    assert.equal(b.allocator.deviceAllocs, allocs, "a freed block of the same size is reused");
  });

  it("async reads do not block, and return what readSync returns", async () => {
    const x = gpu(() => tf.range(0, 100000, 1, "float32")) as E;
    const y = gpu(() => tf.multiply(x, 2)) as E;
    const a = (await y.data()) as Float32Array;
    assert.equal(a.length, 100000);
    assert.equal(a[99999], 199998);
    await gpuBackend(0)!.synchronize();
  });

  it("a kernel fault becomes an error, not a hang", () => {
    const r = child(
      `const { gpuBackend } = await import(${JSON.stringify(join(HERE, "..", "src", "backends", "cuda", RUNNING_TS ? "index.ts" : "index.js"))});
       const b = gpuBackend(0);
       const f = b.fn("fault.test", "k", () => 'extern "C" __global__ void k(float* o) { if (o != 0) __trap(); }');
       b.ctx.argPtr(b.empty("float32", [4], "t").ptr);
       b.launch(f, 1, 1);
       try { b.synchronizeSync(); console.log("no error"); } catch (e) { console.log((e instanceof tf.errors.InternalError ? "InternalError: " : "other: ") + e.message); }`,
      {},
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /InternalError: CUDA error in cuStreamSynchronize: CUDA_ERROR_/);
  });
});
