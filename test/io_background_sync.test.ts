/**
 * The sync thread of checkpoint saves (src/io/background_sync.ts): it fsyncs while the caller works, hands
 * fsync's errors to the caller's wait(), keeps working when more requests are open than it has slots, and
 * a Saver writes the same files with it and without it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { fsyncInBackground, type PendingSync, setBackgroundSync } from "../src/io/background_sync.js";
import * as tf from "../src/index.js";

function tmpDir(t: { after: (f: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-bgsync-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Yields to the event loop until the sync thread has finished `p` (the thread boots on first use). */
async function settledOnThread(p: PendingSync, signal: AbortSignal): Promise<void> {
  while (!p.settled()) await sleep(1, undefined, { signal });
}

/** Only a guard: a sync thread that never answers fails the tests here instead of hanging the run. */
const GUARD = { timeout: 60_000 };

test("the sync thread fsyncs a file while the caller goes on; wait() then returns at once", GUARD, async (t) => {
  const file = path.join(tmpDir(t), "f");
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, new Uint8Array(1 << 20).fill(3));
    const p = fsyncInBackground(fd);
    await settledOnThread(p, t.signal);
    p.wait();
    p.wait(); // a second wait is a no-op
    assert.equal(p.settled(), true);
  } finally {
    fs.closeSync(fd);
  }
  assert.deepEqual(fs.readFileSync(file), Buffer.alloc(1 << 20, 3));
});

test("an fsync that fails on the sync thread throws fsync's error from wait(), as it does inline", GUARD, async (t) => {
  if (process.platform !== "linux") {
    t.skip("needs Linux, where /dev/null cannot be fsynced (EINVAL)");
    return;
  }
  const fd = fs.openSync("/dev/null", "r");
  try {
    const onThread = fsyncInBackground(fd);
    await settledOnThread(onThread, t.signal);
    assert.throws(() => onThread.wait(), { code: "EINVAL", syscall: "fsync" });
    setBackgroundSync(false);
    try {
      assert.throws(() => fsyncInBackground(fd).wait(), { code: "EINVAL", syscall: "fsync" });
    } finally {
      setBackgroundSync(true);
    }
    // The slot of the failed request is free again: the thread goes on serving.
    const file = fs.openSync(path.join(tmpDir(t), "g"), "w");
    try {
      const next = fsyncInBackground(file);
      await settledOnThread(next, t.signal);
      next.wait();
    } finally {
      fs.closeSync(file);
    }
  } finally {
    fs.closeSync(fd);
  }
});

test("more open requests than the thread has slots: every one completes, waited for in any order", GUARD, async (t) => {
  const dir = tmpDir(t);
  const fds = Array.from({ length: 40 }, (_, i) => fs.openSync(path.join(dir, `f${i}`), "w"));
  try {
    for (const fd of fds) fs.writeSync(fd, new Uint8Array([fd & 0xff]));
    const pending = fds.map((fd) => fsyncInBackground(fd));
    for (const p of pending.reverse()) p.wait();
    assert.ok(pending.every((p) => p.settled()));
    const again = fsyncInBackground(fds[0]);
    await settledOnThread(again, t.signal);
    again.wait();
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
});

test("Saver.save writes byte-identical files with the sync thread and with every fsync inline", (t) => {
  const dir = tmpDir(t);
  const g = new tf.Graph();
  g.asDefault(() => {
    const a = new tf.Variable(tf.range(0, 300000, 1, "float32"), { name: "a" });
    const b = new tf.Variable(tf.constant([1, 2, 3], { dtype: "int32" }), { name: "b" });
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const saver = new tf.train.Saver({ varList: [a, b], sharded: true });
    const threaded = saver.save(sess, path.join(dir, "threaded"), { writeMetaGraph: false });
    setBackgroundSync(false);
    let inline: string;
    try {
      inline = saver.save(sess, path.join(dir, "inline"), { writeMetaGraph: false });
    } finally {
      setBackgroundSync(true);
    }
    const files = (prefix: string) =>
      fs
        .readdirSync(dir)
        .filter((n) => n.startsWith(`${path.basename(prefix)}.`))
        .sort();
    assert.deepEqual(
      files(threaded).map((n) => n.slice("threaded".length)),
      files(inline).map((n) => n.slice("inline".length)),
    );
    for (const n of files(threaded)) {
      assert.deepEqual(fs.readFileSync(path.join(dir, n)), fs.readFileSync(path.join(dir, `inline${n.slice("threaded".length)}`)), n);
    }
    assert.ok(files(threaded).length >= 2, "a .data file and the .index");
    saver.restore(sess, threaded);
    assert.deepEqual(Array.from(sess.run(b).dataSync() as Int32Array), [1, 2, 3]);
  });
});
