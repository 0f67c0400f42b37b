import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "../src/index.js";
import type { Backend } from "../src/core/backend.js";
import { defaultBackend } from "../src/core/devices.js";
import { README, withSettingsTable } from "../scripts/docs_settings.js";
import { Options, withOptions } from "./util/settings.js";

/**
 * The settings module (src/core/settings.ts) through the public API: how TSFLOW_* variables are parsed (in
 * child processes, since each is read once), tf.config's getters and setters, that a change at run time
 * takes effect, TSFLOW_DEBUG's topics, and that the README's settings table is the generated one.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const RUNNING_TS = import.meta.url.endsWith(".ts");
const options = () => tf.config.experimental.getTsflowOptions();

/** Runs `code` (which may use `tf`) in a fresh process with only the given TSFLOW_* variables (and no GPU). */
function child(env: Record<string, string>, code: string): { stdout: string; stderr: string } {
  const src = join(HERE, "..", "src", RUNNING_TS ? "index.ts" : "index.js");
  const body = `const tf = await import(${JSON.stringify(src)});\n${code}`;
  const args = RUNNING_TS ? ["--import", "tsx", "--input-type=module", "-e", body] : ["--input-type=module", "-e", body];
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TSFLOW_")));
  const r = spawnSync(process.execPath, args, { env: { ...clean, TSFLOW_CUDA: "0", ...env }, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** getTsflowOptions() in a fresh process (asked twice, so that a notice printed twice would show). */
function childOptions(env: Record<string, string>): { options: ReturnType<typeof options>; stderr: string } {
  const r = child(
    env,
    `tf.config.experimental.getTsflowOptions();
    console.log(JSON.stringify(tf.config.experimental.getTsflowOptions()));`,
  );
  return { options: JSON.parse(r.stdout), stderr: r.stderr };
}

const noticesAbout = (stderr: string, name: string) => stderr.split("\n").filter((l) => l.startsWith("tsflow: ") && l.includes(name));

describe("settings: environment variables", () => {
  it("switches take 1/true/on/yes and 0/false/off/no in any case; lists, integers, paths and choices parse", () => {
    const off = childOptions({
      TSFLOW_EPILOGUES: "0",
      TSFLOW_GROUP_UPDATES: "false",
      TSFLOW_CUDA_GRAPHS: "OFF",
      TSFLOW_CUDNN: "No",
      TSFLOW_FUSION: "all",
      TSFLOW_WASM: "none",
      TSFLOW_CUDNN_WORKSPACE_MB: "12",
      TSFLOW_DEBUG: "plan, KERNELS",
      TSFLOW_CUDA_LIBS: "/opt/a: /opt/b",
      TSFLOW_BLAS: "none",
      TSFLOW_CUDA_CACHE: "/tmp/kernels",
    });
    assert.equal(off.stderr.includes("tsflow: TSFLOW_"), false, off.stderr);
    const o = off.options;
    assert.deepEqual([o.epilogues, o.groupUpdates, o.cudaGraphs, o.cudnn, o.cuda], [false, false, false, false, false]);
    assert.deepEqual([o.fusion, o.wasm, o.cudnnWorkspaceMb, o.blas, o.cudaCache], ["all", "off", 12, "off", "/tmp/kernels"]);
    assert.deepEqual(o.debug, ["plan", "kernels"]);
    assert.deepEqual(o.cudaLibs, ["/opt/a", "/opt/b"]);
    const on = childOptions({
      TSFLOW_EPILOGUES: "1",
      TSFLOW_GROUP_UPDATES: "TRUE",
      TSFLOW_CUDA_GRAPHS: "on",
      TSFLOW_CUDNN: "Yes",
      TSFLOW_FUSION: "0",
      TSFLOW_WASM: "Force",
      TSFLOW_DEBUG: "all",
      TSFLOW_CUDA: "no",
    }).options;
    assert.deepEqual([on.epilogues, on.groupUpdates, on.cudaGraphs, on.cudnn, on.cuda], [true, true, true, true, false]);
    assert.deepEqual([on.fusion, on.wasm], ["off", "force"]);
    assert.deepEqual(on.debug, ["placement", "plan", "kernels", "cuda"]);
  });

  it("a value a setting does not take: one notice naming the variable and the accepted values, and the default", () => {
    const r = childOptions({ TSFLOW_CUDNN: "maybe", TSFLOW_FUSION: "sometimes", TSFLOW_CUDNN_WORKSPACE_MB: "-3", TSFLOW_DEBUG: "plan,everything" });
    assert.deepEqual([r.options.cudnn, r.options.fusion, r.options.cudnnWorkspaceMb, r.options.debug], [true, "gpu", 4096, []]);
    const cudnn = noticesAbout(r.stderr, "TSFLOW_CUDNN=");
    assert.equal(cudnn.length, 1, r.stderr);
    assert.match(cudnn[0], /TSFLOW_CUDNN="maybe" is not valid \(accepted: 1, true, on, yes \/ 0, false, off, no\); using the default, on/);
    assert.match(noticesAbout(r.stderr, "TSFLOW_FUSION")[0], /accepted: off, gpu, all .*using the default, gpu/);
    assert.match(noticesAbout(r.stderr, "TSFLOW_CUDNN_WORKSPACE_MB")[0], /an integer >= 0.*4096/);
    assert.equal(noticesAbout(r.stderr, "TSFLOW_DEBUG").length, 1);
  });

  it("an empty variable is unset; TSFLOW_CUDA_DEBUG still works, with a one-time deprecation notice", () => {
    const r = childOptions({ TSFLOW_EPILOGUES: "", TSFLOW_CUDA_DEBUG: "1" });
    assert.equal(r.options.epilogues, true);
    assert.deepEqual(r.options.debug, ["kernels", "cuda"]);
    const n = noticesAbout(r.stderr, "TSFLOW_CUDA_DEBUG");
    assert.equal(n.length, 1, r.stderr);
    assert.match(n[0], /deprecated; use TSFLOW_DEBUG=kernels,cuda/);
    // TSFLOW_DEBUG wins over the old name; TSFLOW_CUDA_DEBUG=0 now means off.
    assert.deepEqual(childOptions({ TSFLOW_DEBUG: "plan", TSFLOW_CUDA_DEBUG: "1" }).options.debug, ["plan"]);
    assert.deepEqual(childOptions({ TSFLOW_CUDA_DEBUG: "0" }).options.debug, []);
  });
});

describe("settings: intra-op threads bound a loaded BLAS", () => {
  it("TSFLOW_NUM_THREADS and setIntraOpParallelismThreads set OpenBLAS's threads; 0 gives it back its own count", (t) => {
    const probe = child({}, "console.log(JSON.stringify(tf.config.experimental.getBlasInfo()));");
    const info = JSON.parse(probe.stdout) as { blas: string; threads: number };
    if (info.blas !== "openblas") {
      t.skip(`needs OpenBLAS (loaded here: ${info.blas})`);
      return;
    }
    const fromEnv = child({ TSFLOW_NUM_THREADS: "1" }, "console.log(tf.config.experimental.getBlasInfo().threads);");
    assert.equal(fromEnv.stdout.trim(), "1");
    const atRunTime = child(
      {},
      `const own = tf.config.experimental.getBlasInfo().threads;
      tf.config.threading.setIntraOpParallelismThreads(1);
      const one = tf.config.experimental.getBlasInfo().threads;
      tf.config.experimental.setTsflowOptions({ threads: 3 });
      const three = tf.config.experimental.getBlasInfo().threads;
      tf.config.threading.setIntraOpParallelismThreads(0);
      console.log(JSON.stringify([own, one, three, tf.config.experimental.getBlasInfo().threads]));`,
    );
    const [own, one, three, back] = JSON.parse(atRunTime.stdout) as number[];
    assert.deepEqual([one, three, back], [1, 3, own]);
  });
});

describe("settings: TSFLOW_DEBUG", () => {
  it("placement prints where eager ops run; kernels reports the CPU's kernel choices", () => {
    const r = child(
      { TSFLOW_DEBUG: "placement,kernels" },
      `
      tf.matmul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync();
      tf.nn.relu(tf.fill([100000], -1)).dataSync();`,
    );
    assert.match(r.stdout, /Executing op MatMul in device \/job:localhost\/replica:0\/task:0\/device:CPU:0/);
    assert.match(r.stderr, /tsflow kernels: CPU matrix products through /);
    assert.match(r.stderr, /tsflow kernels: WebAssembly SIMD kernels /);
    const quiet = child({}, `tf.matmul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync();`);
    assert.equal(quiet.stdout, "");
    assert.doesNotMatch(quiet.stderr, /tsflow kernels/);
  });
});

describe("settings: tf.config", () => {
  it("every switch spelling works at run time too, and a bad value raises InvalidArgumentError naming what it takes", () => {
    for (const [word, want] of [
      ["1", true],
      ["TRUE", true],
      ["On", true],
      ["yes", true],
      ["0", false],
      ["False", false],
      ["OFF", false],
      ["no", false],
    ] as const) {
      withOptions({ groupUpdates: word }, () => assert.equal(options().groupUpdates, want, word));
    }
    assert.throws(
      () => tf.config.experimental.setTsflowOptions({ groupUpdates: "maybe" }),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /groupUpdates: "maybe" is not valid \(accepted: 1, true, on, yes/.test(e.message),
    );
    assert.throws(() => tf.config.experimental.setTsflowOptions({ fusion: "sometimes" as never }), tf.errors.InvalidArgumentError);
    assert.throws(() => tf.config.experimental.setTsflowOptions({ cudnnWorkspaceMb: -1 }), tf.errors.InvalidArgumentError);
    assert.throws(() => tf.config.experimental.setTsflowOptions({ noSuchOption: 1 } as Options), /unknown tsflow option 'noSuchOption'/);
  });

  it("getTsflowOptions lists every setting; setting them all back is a no-op", () => {
    const before = options();
    assert.ok(["debug", "fusion", "epilogues", "groupUpdates", "cudaGraphs", "wasm", "blas", "cuda", "tf32", "cudnn", "visibleGpus"].every((k) => k in before));
    tf.config.experimental.setTsflowOptions(before);
    assert.deepEqual(options(), before);
  });

  it("TensorFlow's accessors round-trip and read the same settings", () => {
    const tf32 = tf.config.experimental.tensorFloat32ExecutionEnabled();
    const soft = tf.config.getSoftDevicePlacement();
    try {
      tf.config.experimental.enableTensorFloat32Execution(false);
      assert.equal(tf.config.experimental.tensorFloat32ExecutionEnabled(), false);
      assert.equal(options().tf32, false);
      tf.config.setSoftDevicePlacement(false);
      assert.equal(tf.config.getSoftDevicePlacement(), false);
      assert.equal(options().softPlacement, false);
    } finally {
      tf.config.experimental.enableTensorFloat32Execution(tf32);
      tf.config.setSoftDevicePlacement(soft);
    }
  });

  it("tf.config.optimizer: setJit is elementwise fusion, remapping is the matmul epilogues", () => {
    withOptions({ fusion: "gpu", epilogues: true }, () => {
      assert.equal(tf.config.optimizer.getJit(), "autoclustering");
      tf.config.optimizer.setJit(false);
      assert.equal(options().fusion, "off");
      assert.equal(tf.config.optimizer.getJit(), "");
      tf.config.optimizer.setJit("autoclustering");
      assert.equal(options().fusion, "gpu");
      tf.config.experimental.setTsflowOptions({ fusion: "all" });
      tf.config.optimizer.setJit(true);
      assert.equal(options().fusion, "all", "autoclustering keeps fusion on every device");
      assert.throws(() => tf.config.optimizer.setJit("xla" as never), tf.errors.InvalidArgumentError);

      assert.equal(tf.config.optimizer.getExperimentalOptions().remapping, true);
      tf.config.optimizer.setExperimentalOptions({ remapping: false });
      assert.equal(options().epilogues, false);
      assert.equal(tf.config.optimizer.getExperimentalOptions().remapping, false);
      assert.throws(() => tf.config.optimizer.setExperimentalOptions({ no_such_pass: true }), tf.errors.InvalidArgumentError);
    });
  });

  it("settings read when a library loads refuse a change afterwards, and accept their current value", () => {
    tf.dispose(tf.matmul(tf.ones([64, 64]), tf.ones([64, 64]))); // the CPU BLAS has loaded (or found none)
    tf.config.listPhysicalDevices(); // the CUDA libraries have been looked for
    const { blas, cuda } = options();
    tf.config.experimental.setTsflowOptions({ blas, cuda });
    assert.throws(
      () => tf.config.experimental.setTsflowOptions({ blas: blas === "off" ? "" : "off" }),
      (e: Error) =>
        e instanceof tf.errors.FailedPreconditionError && /blas cannot be modified after being initialized \(the CPU BLAS was loaded\)/.test(e.message),
    );
    assert.throws(() => tf.config.experimental.setTsflowOptions({ cuda: !cuda }), tf.errors.FailedPreconditionError);
  });
});

// ---------------------------------------------------------------- changes take effect

/** tanh(x * 2 + 1) in a fresh graph on the CPU: the plan that fusion `mode` compiles. */
function cpuPlan(mode: "off" | "all"): string {
  return withOptions({ fusion: mode }, () =>
    new tf.Graph().asDefault(() =>
      tf.device("/cpu:0", () => {
        const x = tf.placeholder("float32", [4], { name: "x" });
        const y = tf.tanh(tf.add(tf.multiply(x, 2), 1));
        const sess = new tf.Session();
        try {
          sess.run(y, new Map([[x, [1, 2, 3, 4]]]) as never);
          return sess.describePlan(y, [x]);
        } finally {
          sess.close();
        }
      }),
    ),
  );
}

/** Runs fn with writes to `stream` captured; returns what was written. */
function capture(stream: "stdout" | "stderr", fn: () => void): string {
  const s = process[stream];
  const write = s.write;
  let text = "";
  s.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof s.write;
  try {
    fn();
  } finally {
    s.write = write;
  }
  return text;
}

describe("settings: a change at run time takes effect", () => {
  it("fusion on the CPU: `all` fuses the chain, `off` does not", () => {
    assert.match(cpuPlan("all"), /fused=\[/);
    assert.doesNotMatch(cpuPlan("off"), /fused=/);
  });

  it("groupUpdates: eager SGD over many variables is one grouped kernel, or one kernel each when off", () => {
    const cpu = defaultBackend() as Backend;
    const group = cpu.runKernelGroup!;
    let groups = 0;
    cpu.runKernelGroup = function (...args: Parameters<typeof group>) {
      groups++;
      return group.apply(this, args);
    };
    try {
      const step = () => {
        const vs = [1, 2, 3].map((k) => new tf.Variable(tf.fill([8], k)));
        const opt = new tf.train.GradientDescentOptimizer(0.1);
        opt.applyGradients(vs.map((v) => [tf.onesLike(v.value()), v] as [tf.Tensor, tf.Variable]));
        return vs.map((v) => Array.from(v.value().dataSync() as Float32Array));
      };
      const grouped = withOptions({ groupUpdates: true }, () => step());
      const n = groups;
      const single = withOptions({ groupUpdates: false }, () => step());
      assert.ok(n >= 1, "grouped");
      assert.equal(groups, n, "no group when off");
      assert.deepEqual(single, grouped);
    } finally {
      cpu.runKernelGroup = group;
    }
  });

  it("TSFLOW_DEBUG=plan prints each compiled Session plan; setLogDevicePlacement prints where ops run", () => {
    const err = capture("stderr", () => withOptions({ debug: ["plan"] }, () => cpuPlan("all")));
    assert.match(err, /tsflow plan \(fusion all, epilogues on\):\n.*fused=\[/s);
    assert.equal(
      capture("stderr", () => cpuPlan("all")),
      "",
      "quiet when off",
    );

    const out = capture("stdout", () => {
      tf.debugging.setLogDevicePlacement(true);
      try {
        tf.dispose(tf.add(tf.constant([1]), tf.constant([2])));
      } finally {
        tf.debugging.setLogDevicePlacement(false);
      }
    });
    assert.match(out, /Executing op AddV2 in device \/job:localhost\/replica:0\/task:0\/device:(CPU|GPU):0/);
    assert.deepEqual(options().debug, []);
  });
});

describe("settings: the README", () => {
  it("its settings table is the one generated from the schema (npm run docs:settings)", () => {
    const text = readFileSync(README, "utf8");
    assert.equal(text, withSettingsTable(text), "README.md is out of date: run npm run docs:settings");
  });
});
