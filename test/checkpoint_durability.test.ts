/**
 * Durability: child processes save checkpoints as fast as they can (test/fixtures/saver_child.mjs) while
 * this test SIGKILLs them after random delays, so kills land inside data writes, between the data and the
 * .index, before the `checkpoint` file changes and while old checkpoints are deleted. After every kill the
 * checkpoint the `checkpoint` file names must exist and restore, and hold one complete earlier save (every
 * value equal to its step); the next child resumes from it in the same directory, leftovers and all.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "../src/index.js";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CHILD = path.join(ROOT, "test", "fixtures", "saver_child.mjs");
const SIZE = 1 << 16; // 256 KiB of float32 per save: the data write, fsyncs, renames and deletions take comparable time
const SECONDS = 12;
const PARALLEL = 2;

/** dist/index.js when it is newer than every source (the child then starts without tsx). */
function distIfCurrent(): string | undefined {
  const dist = path.join(ROOT, "dist", "index.js");
  if (!fs.existsSync(dist)) return undefined;
  const newest = (dir: string): number =>
    Math.max(
      ...fs
        .readdirSync(dir, { withFileTypes: true })
        .map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs)),
    );
  return newest(path.join(ROOT, "src")) <= fs.statSync(dist).mtimeMs ? dist : undefined;
}

const stepOf = (name: string) => Number(/ckpt-(\d+)\./.exec(name)?.[1]);

/** What the directory shows about where the kill landed. */
function killPoint(dir: string, latestStep: number, pid: number | undefined): string {
  const names = fs.readdirSync(dir);
  // Temporary files of the killed child (earlier kills leave theirs too).
  const tmp = names.filter((n) => n.includes(`.tmp-${pid}-`));
  const indexed = new Set(names.filter((n) => n.endsWith(".index")).map(stepOf));
  const data = new Set(names.filter((n) => /\.data-\d+-of-\d+$/.test(n)).map(stepOf));
  const points: string[] = [];
  if (tmp.some((n) => stepOf(n) > latestStep && n.includes(".data-"))) points.push("inside a data file write");
  if (tmp.some((n) => stepOf(n) > latestStep && n.includes(".index"))) points.push("inside the .index write");
  if (tmp.some((n) => n.startsWith("checkpoint"))) points.push("inside the checkpoint file write");
  if ([...data].some((s) => s > latestStep && !indexed.has(s))) points.push("data renamed, .index not yet");
  if ([...indexed].some((s) => s > latestStep)) points.push("bundle complete, checkpoint file not yet updated");
  if (indexed.has(latestStep - 2)) points.push("checkpoint file updated, oldest checkpoint not yet deleted");
  if (data.has(latestStep - 2) && !indexed.has(latestStep - 2)) points.push("while deleting the oldest checkpoint");
  return points.length === 0 ? "between saves" : points.join(" + ");
}

interface Tally {
  kills: number;
  points: Map<string, number>;
}

interface Child {
  proc: ChildProcess;
  out: string;
  err: string;
  exited: Promise<void>;
  ready: Promise<void>;
}

/** Starts a child that imports tsflow and warms up, then waits for "go". */
function startChild(dir: string, entry: string | undefined): Child {
  const proc = spawn(process.execPath, [...(entry ? [] : ["--import", "tsx"]), CHILD, dir, String(SIZE)], {
    cwd: ROOT,
    env: { ...process.env, ...(entry ? { TSFLOW_ENTRY: entry } : {}) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const c: Child = { proc, out: "", err: "", exited: new Promise((resolve) => proc.on("exit", () => resolve())), ready: Promise.resolve() };
  proc.stderr?.on("data", (d) => {
    c.err += d;
  });
  proc.stdout?.on("data", (d) => {
    c.out += d;
  });
  c.ready = waitFor(c, "ready\n");
  c.ready.catch(() => {});
  return c;
}

function waitFor(c: Child, text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (c.out.includes(text)) resolve();
    };
    c.proc.stdout?.on("data", check);
    check();
    c.proc.on("exit", () => reject(new Error(`child exited before "${text.trim()}": ${c.err}`)));
  });
}

/**
 * When to kill: after a random delay, or the moment the directory shows a given step of a save (fs.watch),
 * so that kills land in every phase however the phases' lengths compare on this machine.
 */
const TRIGGERS: { name: string; when: (file: string, dir: string) => boolean }[] = [
  { name: "timer", when: () => false },
  { name: "data file created", when: (f) => f.includes(".data-") && f.includes(".tmp-") },
  { name: "data file renamed", when: (f) => /\.data-\d+-of-\d+$/.test(f) },
  { name: ".index created", when: (f) => /\.index\.tmp-/.test(f) },
  { name: ".index renamed", when: (f, dir) => f.endsWith(".index") && fs.existsSync(path.join(dir, f)) },
  { name: "checkpoint file created", when: (f) => f.startsWith("checkpoint.tmp-") },
  { name: "checkpoint file renamed", when: (f) => f === "checkpoint" },
  { name: "old checkpoint deleted", when: (f, dir) => f.endsWith(".index") && !fs.existsSync(path.join(dir, f)) },
];

/** Lets a started child save until its trigger (or 0-100 ms), kills it, and checks what the checkpoint file names. */
async function killOnce(dir: string, c: Child, tally: Tally): Promise<void> {
  await c.ready;
  c.proc.stdin?.write("go\n");
  await waitFor(c, "started\n");
  const trigger = TRIGGERS[tally.kills % TRIGGERS.length];
  await new Promise<void>((resolve) => {
    const fire = () => {
      watcher.close();
      clearTimeout(timer);
      c.proc.kill("SIGKILL");
      resolve();
    };
    const watcher = fs.watch(dir, (_event, file) => {
      if (file !== null && trigger.when(file, dir)) fire();
    });
    const timer = setTimeout(fire, trigger.name === "timer" ? Math.random() * 100 : 2000);
  });
  await c.exited;
  tally.kills++;
  const saved = [...c.out.matchAll(/saved (\d+)/g)].map((m) => Number(m[1]));
  const lastSeen = saved.length > 0 ? saved[saved.length - 1] : 0;
  const latest = tf.train.latestCheckpoint(dir);
  const step = latest === null ? 0 : Number(/-(\d+)$/.exec(latest)?.[1]);
  const point = killPoint(dir, step, c.proc.pid);
  tally.points.set(point, (tally.points.get(point) ?? 0) + 1);
  if (latest === null) {
    assert.equal(fs.existsSync(path.join(dir, "checkpoint")), false, `kill ${tally.kills} (${point}): the checkpoint file names no complete checkpoint`);
    return;
  }
  assert.ok(step >= lastSeen, `kill ${tally.kills}: the checkpoint file names step ${step}, but step ${lastSeen} had been saved`);
  // Restore through a Saver (eager variables): every value is the step of that one save.
  const big = new tf.Variable(tf.zeros([SIZE]), { name: "big" });
  const small = new tf.Variable(tf.zeros([3, 2]), { name: "dense/kernel" });
  const gs = new tf.Variable(tf.constant(0, "int64"), { name: "global_step" });
  new tf.train.Saver({ varList: [big, small, gs] }).restore(null, latest);
  assert.equal(gs.numpy(), BigInt(step), `kill ${tally.kills} (${point})`);
  assert.ok(
    (big.value().dataSync() as Float32Array).every((v) => v === step),
    `kill ${tally.kills} (${point}): a torn checkpoint`,
  );
  assert.deepEqual(
    small.numpy(),
    Array.from({ length: 3 }, () => [step, step]),
  );
  for (const v of [big, small, gs]) v.dispose();
}

test("SIGKILL at many points of saving: the checkpoint file always names a complete, restorable earlier save", async (t) => {
  const entry = distIfCurrent();
  const tally: Tally = { kills: 0, points: new Map() };
  const deadline = Date.now() + SECONDS * 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-durability-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Children start ahead (PARALLEL of them importing at once), so kills are not paced by start-up.
  const pool = Array.from({ length: PARALLEL }, () => startChild(dir, entry));
  try {
    // On a loaded machine children start slowly: past the deadline, go on (up to three times as long) until
    // kills have landed in at least three places.
    const hardDeadline = deadline + 2 * SECONDS * 1000;
    while (Date.now() < deadline || (tally.points.size < 3 && Date.now() < hardDeadline)) {
      const c = pool.shift() as Child;
      pool.push(startChild(dir, entry));
      await killOnce(dir, c, tally);
    }
  } finally {
    for (const c of pool) c.proc.kill("SIGKILL");
    await Promise.all(pool.map((c) => c.exited));
  }
  const summary = [...tally.points].map(([p, n]) => `${n} x ${p}`).join("; ");
  const line = `${tally.kills} kills (${entry ? "children on dist/" : "children through tsx"}), ${tally.points.size} distinct kill points: ${summary}`;
  t.diagnostic(line);
  console.log(`durability: ${line}`);
  assert.ok(tally.points.size >= 3, `kills landed in only ${tally.points.size} places: ${summary}`);
});
