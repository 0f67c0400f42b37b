/** One logger with TensorFlow's levels: TSFLOW_LOG_LEVEL as TF_CPP_MIN_LOG_LEVEL, quiet by default. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "../src/index.js";

const INDEX = fileURLToPath(new URL("../src/index.ts", import.meta.url));

/** stderr of a child that imports tsflow, runs `code`, with `env` added (no GPU driver: a CPU-only machine). */
function stderrOf(env: Record<string, string>, code: string): string {
  const script = `import * as tf from ${JSON.stringify(INDEX)};\n${code}`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, TSFLOW_LOG_LEVEL: "", TSFLOW_CUDA_DRIVER: "/nonexistent/libcuda.so.1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

// Each child asks for the devices (the "no CUDA GPU" INFO) and loads a BLAS that is not there (a WARNING).
const NOISY = `tf.config.listPhysicalDevices("GPU"); const m = tf.ones([64, 64], "float64"); tf.matmul(m, m).dataSync();`;
const MISSING_BLAS = { TSFLOW_BLAS: "/nonexistent/libcblas.so" };

describe("logging", () => {
  it("default (1): no INFO, so a machine without a GPU runs silently; WARNINGs are shown", () => {
    const err = stderrOf(MISSING_BLAS, NOISY);
    assert.doesNotMatch(err, /no CUDA GPU/);
    assert.match(err, /^tsflow: no BLAS found .*apt-get install libopenblas0.*using the built-in WebAssembly kernels$/m);
    assert.doesNotMatch(err, /npm run/, "a package user has no npm scripts of tsflow's");
  });

  it("TSFLOW_LOG_LEVEL=0 shows INFO; a bad value is reported and the default used", () => {
    assert.match(stderrOf({ ...MISSING_BLAS, TSFLOW_LOG_LEVEL: "0" }, NOISY), /^tsflow: no CUDA GPU \(.*\); running on the CPU$/m);
    const bad = stderrOf({ ...MISSING_BLAS, TSFLOW_LOG_LEVEL: "7" }, NOISY);
    assert.match(bad, /^tsflow: TSFLOW_LOG_LEVEL="7" is not valid \(accepted: an integer from 0 to 3\); using the default, 1$/m);
    assert.match(bad, /no BLAS found/);
    assert.doesNotMatch(bad, /no CUDA GPU/);
  });

  it("the level is a setting: tf.config.experimental.setTsflowOptions({ logLevel }) changes it at run time", (t) => {
    const saved = tf.config.experimental.getTsflowOptions().logLevel;
    assert.equal(saved, 1);
    t.after(() => tf.config.experimental.setTsflowOptions({ logLevel: saved }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-logging-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, "checkpoint"), "garbage {{{");
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => written.push(s) > 0) as typeof process.stderr.write;
    try {
      tf.config.experimental.setTsflowOptions({ logLevel: 2 });
      assert.equal(tf.train.getCheckpointState(dir), null);
      assert.deepEqual(written, []);
      tf.config.experimental.setTsflowOptions({ logLevel: "1" });
      assert.equal(tf.train.getCheckpointState(dir), null);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(written.length, 1);
    assert.match(written[0], /^tsflow: .*checkpoint: .*; checkpoint state ignored\n$/);
    assert.throws(() => tf.config.experimental.setTsflowOptions({ logLevel: 4 }), tf.errors.InvalidArgumentError);
  });
});
