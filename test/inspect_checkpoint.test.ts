/** `tsflowjs inspect-checkpoint`, run as a command, prints what TensorFlow's inspect_checkpoint prints. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatNumpy } from "../src/app/numpy_format.js";
import { BundleWriter } from "../src/io/tensor_bundle.js";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const FIX = path.join(ROOT, "test", "fixtures", "tf");

function cli(...args: string[]): { out: string; code: number; err: string } {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src", "app", "cli.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { out, code: 0, err: "" };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; status: number };
    return { out: x.stdout, code: x.status, err: x.stderr };
  }
}

test("inspect-checkpoint on real TensorFlow checkpoints: the tensor list, one tensor, --all", (t) => {
  const lenet = cli("inspect-checkpoint", path.join(FIX, "ckpt-index-lingvo-lenet", "lenet_test_model"));
  assert.equal(lenet.code, 0, lenet.err);
  const lines = lenet.out.split("\n");
  assert.equal(lines[0], "beta1_power (DT_FLOAT) []");
  assert.equal(lines[2], "global_step (DT_INT64) []");
  assert.ok(lines.includes("lenet5/conv1/w/var/Adam (DT_FLOAT) [5,5,20,50]"));
  assert.equal(lines.filter((l) => / \(DT_/.test(l)).length, 23);
  const total = (3 * 2000) / 4 + 3 * 25000 + 3 * 300 + 3 * 735000 + 3 * 10 + 3 * 3000 + 2 + 3;
  assert.match(lenet.out, new RegExp(`# Total number of params: ${total}\\n$`));

  const dir = path.join(FIX, "ckpt-tf2onnx-regression-tf1");
  assert.equal(
    cli("inspect-checkpoint", dir, "--all").out,
    "tensor: W (float32) []\n0.21396178\ntensor: b (float32) []\n1.0495254\n# Total number of params: 2\n",
  );
  assert.equal(
    cli("inspect-checkpoint", "--file_name", path.join(dir, "model"), "--tensor_name=b").out,
    "tensor: b (float32) []\n1.0495254\n# Total number of params: 2\n",
  );
  const missing = cli("inspect-checkpoint", path.join(dir, "nothing"));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /NotFoundError/);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-inspect-"));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const w = new BundleWriter(path.join(tmp, "m"));
  w.add("dense/kernel", "float32", [2, 3], Float32Array.of(1, -2.5, 3, 0.125, 5, 6));
  w.add("step", "int64", [], BigInt64Array.of(1000n));
  w.add("words", "string", [2], ["a", "it's"]);
  w.finish();
  assert.equal(
    cli("inspect-checkpoint", path.join(tmp, "m"), "--all").out,
    "tensor: dense/kernel (float32) [2, 3]\n[[ 1.    -2.5    3.   ]\n [ 0.125  5.     6.   ]]\ntensor: step (int64) []\n1000\ntensor: words (string) [2]\n[b'a' b\"it's\"]\n# Total number of params: 9\n",
  );
});

test("NumPy's array printing: padding, scientific notation, wrapping, summarising", () => {
  assert.equal(formatNumpy(Float32Array.of(1, 2), [2], "float32"), "[1. 2.]");
  assert.equal(formatNumpy(Float32Array.of(1, 1.5), [2], "float32"), "[1.  1.5]");
  assert.equal(formatNumpy(Float64Array.of(1e-5, 1.5), [2], "float64"), "[1.0e-05 1.5e+00]");
  assert.equal(formatNumpy(Float32Array.of(Number.NaN, 1, Number.NEGATIVE_INFINITY), [3], "float32"), "[ nan   1. -inf]");
  assert.equal(formatNumpy(Int32Array.of(1, -20, 300), [3], "int32"), "[  1 -20 300]");
  assert.equal(formatNumpy(Uint8Array.of(1, 0), [2], "bool"), "[ True False]");
  assert.equal(formatNumpy(Float32Array.of(0.1), [], "float32"), "0.1");
  assert.equal(formatNumpy(Float64Array.of(1e20), [], "float64"), "1e+20");
  assert.equal(formatNumpy(Float32Array.of(3), [], "float32"), "3.0");
  const thirty = Float32Array.from({ length: 30 }, (_, i) => i);
  assert.equal(
    formatNumpy(thirty, [30], "float32"),
    "[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]",
  );
  const big = Int32Array.from({ length: 2000 }, (_, i) => i);
  assert.equal(formatNumpy(big, [2000], "int32"), "[   0    1    2 ... 1997 1998 1999]");
  assert.equal(
    formatNumpy(
      Int32Array.from({ length: 8 }, (_, i) => i),
      [2, 2, 2],
      "int32",
    ),
    "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]",
  );
});

test("the command line: --help prints the usage (status 0); an unknown command or flag prints the reason and the usage, status 1, no stack", () => {
  const help = cli("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: tsflowjs inspect-checkpoint/);
  const cases: [string[], RegExp][] = [
    [["inspect-checkpoint", "--tensr", "b", "x"], /tsflowjs: Unknown option '--tensr'/],
    [["inspect"], /tsflowjs: unknown command 'inspect'/],
    [[], /tsflowjs: a command is required/],
    [["board", "--logdir", "runs", "--prot", "1"], /tsflowjs: Unknown option '--prot'/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
    assert.match(r.err, /usage: tsflowjs /);
    assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
  }
});
