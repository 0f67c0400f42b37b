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
  /** fs.copyFile of the data file, and the same followed by an fsync of the copy (save fsyncs too). */
  copyGBs: number;
  copySyncGBs: number;
  /** Writing into freshly allocated memory (a page fault per 4 KiB): the floor of any restore that allocates. */
  freshMemoryGBs: number;
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
      const copySync: number[] = [];
      const fresh: number[] = [];
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
        const fd = fs.openSync(path.join(dir, "copy"), "r+");
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        const cs = (performance.now() - t) / 1000;
        fs.rmSync(path.join(dir, "copy"));
        t = performance.now();
        new Float32Array(bytes / 4).fill(1);
        const f = (performance.now() - t) / 1000;
        if (r === 0) continue; // warm-up
        save.push(bytes / s / 1e9);
        restore.push(bytes / l / 1e9);
        copy.push(bytes / c / 1e9);
        copySync.push(bytes / cs / 1e9);
        fresh.push(bytes / f / 1e9);
      }
      return {
        bytes,
        saveGBs: median(save),
        restoreGBs: median(restore),
        copyGBs: median(copy),
        copySyncGBs: median(copySync),
        freshMemoryGBs: median(fresh),
        runs,
      };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatCheckpointBench(b: CheckpointBench): string[] {
  return [
    "## Checkpoints (tf.train.Saver, graph mode)",
    "",
    `Save (with its fsyncs) and restore of ${(b.bytes / 4 / 1e6).toFixed(0)} million float32 values (4 variables, ${(b.bytes / 1e6).toFixed(0)} MB) on the local disk (os.tmpdir()), median of ${b.runs} runs after a warm-up, beside fs.copyFile of the data file (kernel-side read+write, no fsync), the same followed by an fsync, and filling freshly allocated memory of the same size (what any restore that allocates its tensors pays first: one page fault per 4 KiB).`,
    "",
    "| save GB/s | restore GB/s | fs.copyFile GB/s | copyFile + fsync GB/s | fresh memory fill GB/s | save / (copyFile + fsync) | restore / copyFile |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    `| ${b.saveGBs.toFixed(2)} | ${b.restoreGBs.toFixed(2)} | ${b.copyGBs.toFixed(2)} | ${b.copySyncGBs.toFixed(2)} | ${b.freshMemoryGBs.toFixed(2)} | ${(b.saveGBs / b.copySyncGBs).toFixed(2)}x | ${(b.restoreGBs / b.copyGBs).toFixed(2)}x |`,
    "",
  ];
}

if (process.argv[1]?.endsWith("checkpoint.ts")) {
  const n = process.argv.find((a) => a.startsWith("--elements="))?.split("=")[1];
  const quick = process.argv.includes("--quick");
  const b = benchCheckpoint({ elements: n ? Number(n) : undefined, runs: quick ? 2 : 3 });
  console.log(formatCheckpointBench(b).join("\n"));
}
