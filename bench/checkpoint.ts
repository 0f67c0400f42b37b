/**
 * Checkpoint speed: tf.train.Saver save and restore of 100 million float32 values (4 variables of 25M,
 * 400 MB) in graph mode, in GB/s beside fs.copyFile of a file of the same size (the disk's own speed for
 * a read plus a write; the Saver also fsyncs). Median of a few runs. `npm run bench` runs it (section
 * "Checkpoints"); alone: node --import tsx bench/checkpoint.ts [--quick] [--elements=N]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "../src/index.js";
import { median } from "./timing.js";

export interface CheckpointBench {
  bytes: number;
  saveGBs: number;
  restoreGBs: number;
  copyGBs: number;
  runs: number;
}

export function benchCheckpoint(opts: { elements?: number; runs?: number } = {}): CheckpointBench {
  const elements = opts.elements ?? 100_000_000;
  const runs = opts.runs ?? 3;
  const parts = 4;
  const per = Math.floor(elements / parts);
  const bytes = per * parts * 4;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-bench-ckpt-"));
  const g = new tf.Graph();
  try {
    return g.asDefault(() => {
      const vars = Array.from({ length: parts }, (_, i) => new tf.Variable(tf.randomUniform([per]), { name: `layer${i}/kernel` }));
      const saver = new tf.train.Saver({ varList: vars, maxToKeep: 1 });
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const save: number[] = [];
      const restore: number[] = [];
      const copy: number[] = [];
      let prefix = "";
      for (let r = 0; r < runs + 1; r++) {
        let t = performance.now();
        prefix = saver.save(sess, path.join(dir, "model.ckpt"), { globalStep: r });
        const s = (performance.now() - t) / 1000;
        t = performance.now();
        saver.restore(sess, prefix);
        const l = (performance.now() - t) / 1000;
        const data = `${prefix}.data-00000-of-00001`;
        t = performance.now();
        fs.copyFileSync(data, path.join(dir, "copy"));
        const c = (performance.now() - t) / 1000;
        fs.rmSync(path.join(dir, "copy"));
        if (r === 0) continue; // warm-up
        save.push(bytes / s / 1e9);
        restore.push(bytes / l / 1e9);
        copy.push(bytes / c / 1e9);
      }
      return { bytes, saveGBs: median(save), restoreGBs: median(restore), copyGBs: median(copy), runs };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatCheckpointBench(b: CheckpointBench): string[] {
  return [
    "## Checkpoints (tf.train.Saver, graph mode)",
    "",
    `Save and restore of ${(b.bytes / 4 / 1e6).toFixed(0)} million float32 values (4 variables, ${(b.bytes / 1e6).toFixed(0)} MB) to the local disk (os.tmpdir()), median of ${b.runs} runs after a warm-up; fs.copyFile of the data file is the disk's own read+write speed.`,
    "",
    "| save GB/s | restore GB/s | fs.copyFile GB/s | save / copyFile | restore / copyFile |",
    "| --- | --- | --- | --- | --- |",
    `| ${b.saveGBs.toFixed(2)} | ${b.restoreGBs.toFixed(2)} | ${b.copyGBs.toFixed(2)} | ${(b.saveGBs / b.copyGBs).toFixed(2)}x | ${(b.restoreGBs / b.copyGBs).toFixed(2)}x |`,
    "",
  ];
}

if (process.argv[1]?.endsWith("checkpoint.ts")) {
  const n = process.argv.find((a) => a.startsWith("--elements="))?.split("=")[1];
  const quick = process.argv.includes("--quick");
  const b = benchCheckpoint({ elements: n ? Number(n) : undefined, runs: quick ? 2 : 3 });
  console.log(formatCheckpointBench(b).join("\n"));
}
