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
import { setBackgroundSync } from "../src/io/background_sync.js";
import { median } from "./timing.js";

export interface CheckpointBench {
  bytes: number;
  saveGBs: number;
  /** The same save with the data file's fsync inline, after the CRCs (the writer before the sync thread). */
  saveInlineSyncGBs: number;
  restoreGBs: number;
  /** fs.copyFile of the data file, and the same followed by an fsync of the copy (save fsyncs too). */
  copyGBs: number;
  copySyncGBs: number;
  /** fs.writeSync of an equal, already-touched buffer to a new file, then fsync: what any writer from user memory pays. */
  writeSyncGBs: number;
  /** Deleting the previous checkpoint's files (what a save with maxToKeep adds after writing), in seconds. */
  deleteSeconds: number;
  /** Writing into freshly allocated memory (a page fault per 4 KiB): what a restore into new buffers pays first. */
  freshMemoryGBs: number;
  /** Medians of the ratios within each run (each run's save beside that run's peers: fairer on a busy machine). */
  saveVsCopySync: number;
  saveVsInline: number;
  restoreVsCopy: number;
  /** The 1-minute load average before and after (os.loadavg). */
  load: [number, number];
  runs: number;
}

/**
 * Every timed operation that writes a file starts right after an equal file was deleted (the previous
 * checkpoint for save, the previous copy for copyFile), so both write into page-cache pages the kernel just
 * freed. On this VM that matters more than anything else: pages the guest has not touched recently cost a
 * host fault each (~17 us per 4 KiB), and whichever operation met them first ran up to 20x slower.
 */
export function benchCheckpoint(opts: { elements?: number; runs?: number } = {}): CheckpointBench {
  const elements = opts.elements ?? 100_000_000;
  const runs = opts.runs ?? 5;
  const parts = 4;
  const per = Math.floor(elements / parts);
  const bytes = per * parts * 4;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-bench-ckpt-"));
  const g = new tf.Graph();
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return (performance.now() - t) / 1000;
  };
  try {
    return g.asDefault(() => {
      const vars = Array.from({ length: parts }, (_, i) => new tf.Variable(tf.randomUniform([per]), { name: `layer${i}/kernel` }));
      // maxToKeep 0: the Saver deletes nothing, and the bench deletes the previous checkpoint itself (timed apart).
      const saver = new tf.train.Saver({ varList: vars, maxToKeep: 0 });
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const save: number[] = [];
      const saveInline: number[] = [];
      const restore: number[] = [];
      const copy: number[] = [];
      const copySync: number[] = [];
      const del: number[] = [];
      const raw: number[] = [];
      const rawPath = path.join(dir, "raw");
      const rawBytes = new Uint8Array(bytes).fill(7);
      fs.writeFileSync(rawPath, rawBytes);
      const fresh: number[] = [];
      const ratios = { copySync: [] as number[], inline: [] as number[], restore: [] as number[] };
      const loadBefore = os.loadavg()[0];
      let prefix = "";
      const copyPath = path.join(dir, "copy");
      fs.writeFileSync(copyPath, new Uint8Array(bytes));
      let step = 0;
      /** Deletes the previous checkpoint (timed), then times a save with the sync thread on or off. */
      const timedSave = (background: boolean): { d: number; s: number } => {
        const d = prefix === "" ? 0 : time(() => deleteCheckpointFiles(prefix));
        setBackgroundSync(background);
        try {
          const s = time(() => {
            prefix = saver.save(sess, path.join(dir, "model.ckpt"), { globalStep: step++ });
          });
          return { d, s };
        } finally {
          setBackgroundSync(true);
        }
      };
      for (let r = 0; r < runs + 1; r++) {
        // The two writers alternate which goes first, so neither always meets the pages the other freed.
        const inlineFirst = r % 2 === 0;
        const first = timedSave(!inlineFirst);
        const second = timedSave(inlineFirst);
        const [withThread, inline] = inlineFirst ? [second, first] : [first, second];
        const { d, s } = withThread;
        const l = time(() => saver.restore(sess, prefix));
        fs.rmSync(copyPath);
        const c = time(() => fs.copyFileSync(`${prefix}.data-00000-of-00001`, copyPath));
        const cs =
          c +
          time(() => {
            const fd = fs.openSync(copyPath, "r+");
            fs.fsyncSync(fd);
            fs.closeSync(fd);
          });
        fs.rmSync(rawPath);
        const w = time(() => {
          const fd = fs.openSync(rawPath, "w");
          for (let at = 0; at < bytes; ) at += fs.writeSync(fd, rawBytes, at, Math.min(bytes - at, 1 << 30));
          fs.fsyncSync(fd);
          fs.closeSync(fd);
        });
        const f = time(() => new Float32Array(bytes / 4).fill(1));
        if (r === 0) continue; // warm-up
        save.push(bytes / s / 1e9);
        saveInline.push(bytes / inline.s / 1e9);
        restore.push(bytes / l / 1e9);
        copy.push(bytes / c / 1e9);
        copySync.push(bytes / cs / 1e9);
        del.push(d);
        raw.push(bytes / w / 1e9);
        fresh.push(bytes / f / 1e9);
        ratios.copySync.push(cs / s);
        ratios.inline.push(inline.s / s);
        ratios.restore.push(c / l);
      }
      return {
        bytes,
        saveGBs: median(save),
        saveInlineSyncGBs: median(saveInline),
        restoreGBs: median(restore),
        copyGBs: median(copy),
        copySyncGBs: median(copySync),
        writeSyncGBs: median(raw),
        deleteSeconds: median(del),
        freshMemoryGBs: median(fresh),
        saveVsCopySync: median(ratios.copySync),
        saveVsInline: median(ratios.inline),
        restoreVsCopy: median(ratios.restore),
        load: [loadBefore, os.loadavg()[0]],
        runs,
      };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function deleteCheckpointFiles(prefix: string): void {
  const dir = path.dirname(prefix);
  for (const n of fs.readdirSync(dir)) if (n.startsWith(`${path.basename(prefix)}.`)) fs.rmSync(path.join(dir, n));
}

export function formatCheckpointBench(b: CheckpointBench): string[] {
  const f = (x: number) => x.toFixed(2);
  return [
    "## Checkpoints (tf.train.Saver, graph mode)",
    "",
    `Save (with its fsyncs) and restore (into the variables' buffers) of ${(b.bytes / 4 / 1e6).toFixed(0)} million float32 values (4 variables, ${(b.bytes / 1e6).toFixed(0)} MB) on the local disk (os.tmpdir()), median of ${b.runs} runs after a warm-up, beside fs.copyFile of the data file (kernel-side read+write, no fsync) and the same followed by an fsync. A third peer writes an equal buffer that is already in memory with plain fs.writeSync calls and an fsync (the floor of any writer from user memory; fs.copyFile copies inside the kernel). Each run also times the same save with the data file's fsync inline after the CRCs (the writer before the sync thread), the two saves alternating which goes first. Each save, copy and write starts right after an equal file was deleted, so all write into just-freed page-cache pages; deleting the previous checkpoint (what maxToKeep adds to a save) is timed apart. The ratios are medians of each run's own ratio. Last column: filling freshly allocated memory of the same size (what a restore into new buffers, e.g. into a fresh session, pays first). Load average ${f(b.load[0])} before, ${f(b.load[1])} after.`,
    "",
    "| save GB/s | save, fsync inline GB/s | restore GB/s | fs.copyFile GB/s | copyFile + fsync GB/s | writeSync + fsync GB/s | save / (copyFile + fsync) | save / inline-fsync save | restore / copyFile | delete old checkpoint s | fresh memory fill GB/s |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    `| ${f(b.saveGBs)} | ${f(b.saveInlineSyncGBs)} | ${f(b.restoreGBs)} | ${f(b.copyGBs)} | ${f(b.copySyncGBs)} | ${f(b.writeSyncGBs)} | ${f(b.saveVsCopySync)}x | ${f(b.saveVsInline)}x | ${f(b.restoreVsCopy)}x | ${f(b.deleteSeconds)} | ${f(b.freshMemoryGBs)} |`,
    "",
  ];
}

if (process.argv[1]?.endsWith("checkpoint.ts")) {
  const n = process.argv.find((a) => a.startsWith("--elements="))?.split("=")[1];
  const quick = process.argv.includes("--quick");
  const b = benchCheckpoint({ elements: n ? Number(n) : undefined, runs: quick ? 2 : 5 });
  console.log(formatCheckpointBench(b).join("\n"));
}
