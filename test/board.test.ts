/**
 * The board's server and JSON API (src/board): runs and tags of a logdir written here, scalar values as
 * written (TF1 simple_value and TF2 tensors), downsampling of 100,000 points, histograms, images, text, the
 * graph; a growing file with a truncated tail followed; a corrupt file shown as an error item; no path
 * traversal; loopback by default; a port in use is a clear error; start-up time.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PAGE_DIR, startBoard } from "../src/board/server.js";
import * as tf from "../src/index.js";
import {
  appendEvents,
  graphEvent,
  histogramValue,
  imageValue,
  grayPng,
  scalarValue,
  summaryEvent,
  textValue,
  tf2ScalarValue,
  writeEvents,
} from "./util/board_logdir.js";
import { buildBoardPage } from "./util/board_page.js";

const tmp = mkdtempSync(join(tmpdir(), "tsflow-board-"));
before(() => buildBoardPage());
after(() => rmSync(tmp, { recursive: true, force: true }));

const get = async (base: string, path: string) => {
  const res = await fetch(new URL(path, base));
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: Buffer.from(await res.arrayBuffer()) };
};
const json = async (base: string, path: string) => {
  const r = await get(base, path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return JSON.parse(r.body.toString());
};

test("board: runs, tags and every dashboard's data as written; start-up under a second", async () => {
  const dir = join(tmp, "all");
  const png = grayPng(4, 3, (x, y) => x * 60 + y);
  writeEvents(join(dir, "train"), [
    graphEvent(),
    summaryEvent(0, [
      scalarValue("loss", 2.5),
      tf2ScalarValue("acc", 0.25),
      histogramValue("w", [
        [-1, 0, 3],
        [0, 1, 5],
      ]),
      imageValue("img", png, 4, 3),
      textValue("note", "hello *board*"),
    ]),
    summaryEvent(1, [scalarValue("loss", 1.5), tf2ScalarValue("acc", 0.5)]),
    summaryEvent(2, [scalarValue("loss", Number.NaN), tf2ScalarValue("acc", 0.75)]),
  ]);
  writeEvents(join(dir, "eval", "deep"), [summaryEvent(5, [scalarValue("loss", 3)])]);
  const t0 = performance.now();
  const board = await startBoard({ logdir: dir, port: 0 });
  const startMs = performance.now() - t0;
  try {
    assert.ok(startMs < 1000, `started in ${startMs} ms`);
    assert.match(board.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    await board.reload();
    const runs = await json(board.url, "/data/runs");
    assert.deepEqual(
      runs.runs.map((r: { name: string }) => r.name),
      ["eval/deep", "train"],
    );
    const train = runs.runs.find((r: { name: string }) => r.name === "train");
    assert.deepEqual(train, { name: "train", scalars: ["acc", "loss"], histograms: ["w"], images: ["img"], text: ["note"], graph: true });
    assert.deepEqual(runs.errors, []);

    const loss = await json(board.url, "/data/scalars?run=train&tag=loss");
    assert.deepEqual(loss.step, [0, 1, 2]);
    assert.deepEqual(loss.value, [2.5, 1.5, "NaN"]);
    assert.deepEqual(loss.wall, [1_700_000_000, 1_700_000_001, 1_700_000_002]);
    assert.deepEqual((await json(board.url, "/data/scalars?run=train&tag=acc")).value, [0.25, 0.5, 0.75]);

    assert.deepEqual(await json(board.url, "/data/histograms?run=train&tag=w"), [
      {
        step: 0,
        wallTime: 1_700_000_000,
        buckets: [
          [-1, 0, 3],
          [0, 1, 5],
        ],
      },
    ]);
    assert.deepEqual(await json(board.url, "/data/images?run=train&tag=img"), [{ step: 0, wallTime: 1_700_000_000, width: 4, height: 3, count: 1 }]);
    const img = await get(board.url, "/data/image?run=train&tag=img&index=0&sample=0");
    assert.equal(img.type, "image/png");
    assert.ok(Buffer.from(png).equals(img.body));
    assert.deepEqual(await json(board.url, "/data/text?run=train&tag=note"), [{ step: 0, wallTime: 1_700_000_000, shape: [], texts: ["hello *board*"] }]);

    const graph = await json(board.url, "/data/graph?run=train");
    const mm = graph.nodes.find((n: { name: string }) => n.name === "layer1/MatMul");
    assert.equal(mm.op, "MatMul");
    assert.deepEqual(mm.inputs, ["x", "layer1/W/read"]);
    assert.equal(mm.attrs.T, "float");
    assert.deepEqual(graph.nodes.find((n: { name: string }) => n.name === "x").shapes, ["[?, 4]"]);

    const page = await get(board.url, "/");
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<script type="module" src="app.js">/);
    assert.equal((await get(board.url, "/app.js")).status, 200);
    assert.equal((await get(board.url, "/data/scalars?run=nope&tag=loss")).status, 404);
    assert.equal((await get(board.url, "/data/graph?run=eval/deep")).status, 404);
  } finally {
    await board.close();
  }
});

test("board: 100,000 points per tag are downsampled keeping the extremes; the request is fast", async () => {
  const dir = join(tmp, "big");
  const recs: Uint8Array[] = [];
  for (let s = 0; s < 100_000; s++) recs.push(summaryEvent(s, [scalarValue("loss", s === 77_777 ? 50 : Math.sin(s / 1000))]));
  writeEvents(dir, recs);
  const board = await startBoard({ logdir: dir, port: 0, reloadMs: 60_000 });
  try {
    const t0 = performance.now();
    await board.reload();
    const loadMs = performance.now() - t0;
    await json(board.url, "/data/runs"); // the first request pays for the connection
    const t1 = performance.now();
    const r = await json(board.url, "/data/scalars?run=.&tag=loss");
    const serveMs = performance.now() - t1;
    assert.equal(r.total, 100_000);
    assert.ok(r.step.length <= 4000 && r.step.length > 1000, `${r.step.length} points sent`);
    assert.equal(r.step[0], 0);
    assert.equal(r.step.at(-1), 99_999);
    assert.ok(r.step.includes(77_777), "the spike survives downsampling");
    assert.ok(
      r.step.every((s: number, i: number) => i === 0 || s > r.step[i - 1]),
      "steps stay in order",
    );
    const t2 = performance.now();
    const all = await json(board.url, "/data/scalars?run=.&tag=loss&max=1000000");
    const allMs = performance.now() - t2;
    assert.equal(all.step.length, 100_000);
    console.log(
      `# board: 100,000-point file read in ${loadMs.toFixed(0)} ms; /data/scalars answered in ${serveMs.toFixed(1)} ms (${r.step.length} points), ${allMs.toFixed(1)} ms for all 100,000`,
    );
    assert.ok(serveMs < 500, `served in ${serveMs} ms`);
  } finally {
    await board.close();
  }
});

test("board: a growing file is followed; a truncated last record waits for its rest", async () => {
  const dir = join(tmp, "grow");
  const path = writeEvents(dir, [summaryEvent(0, [scalarValue("loss", 1)])]);
  const board = await startBoard({ logdir: dir, port: 0, reloadMs: 60_000 });
  try {
    await board.reload();
    assert.deepEqual((await json(board.url, "/data/scalars?run=.&tag=loss")).step, [0]);
    const next = summaryEvent(1, [scalarValue("loss", 0.5)]);
    appendFileSync(path, next.subarray(0, 10)); // the writer is mid-record
    await board.reload();
    assert.deepEqual((await json(board.url, "/data/scalars?run=.&tag=loss")).step, [0]);
    assert.deepEqual((await json(board.url, "/data/runs")).errors, []);
    appendFileSync(path, next.subarray(10));
    appendEvents(path, [summaryEvent(2, [scalarValue("loss", 0.25)])]);
    await board.reload();
    assert.deepEqual((await json(board.url, "/data/scalars?run=.&tag=loss")).value, [1, 0.5, 0.25]);
    // A new run appears while the board runs.
    writeEvents(join(dir, "later"), [summaryEvent(0, [scalarValue("x", 7)])]);
    await board.reload();
    assert.deepEqual(
      (await json(board.url, "/data/runs")).runs.map((r: { name: string }) => r.name),
      [".", "later"],
    );
  } finally {
    await board.close();
  }
});

test("board: a corrupt file is an error item, its good events stay; a garbage file does not stop others", async () => {
  const dir = join(tmp, "corrupt");
  const good = summaryEvent(0, [scalarValue("loss", 1)]);
  const bad = Buffer.from(summaryEvent(1, [scalarValue("loss", 2)]));
  bad[bad.length - 6] ^= 0xff; // flip a payload byte: the data CRC no longer matches
  const path = writeEvents(join(dir, "a"), [good, bad, summaryEvent(2, [scalarValue("loss", 3)])]);
  mkdirSync(join(dir, "b"));
  writeFileSync(join(dir, "b", "events.out.tfevents.1.garbage"), Buffer.from("this is not an event file at all, just text"));
  writeEvents(join(dir, "c"), [summaryEvent(0, [scalarValue("ok", 1)])]);
  const board = await startBoard({ logdir: dir, port: 0 });
  try {
    await board.reload();
    const runs = await json(board.url, "/data/runs");
    assert.deepEqual(
      runs.runs.map((r: { name: string }) => r.name),
      ["a", "b", "c"],
    );
    assert.equal(runs.errors.length, 2, JSON.stringify(runs.errors));
    assert.equal(runs.errors[0].run, "a");
    assert.match(runs.errors[0].message, /CRC/);
    assert.ok(runs.errors[0].message.includes(path) || runs.errors[0].file.length > 0);
    assert.deepEqual((await json(board.url, "/data/scalars?run=a&tag=loss")).value, [1]);
    assert.deepEqual((await json(board.url, "/data/scalars?run=c&tag=ok")).value, [1]);
  } finally {
    await board.close();
  }
});

test("board: nothing outside the page and the logdir is served (path traversal)", async () => {
  const dir = join(tmp, "trav");
  writeEvents(join(dir, "run"), [summaryEvent(0, [scalarValue("loss", 1)])]);
  writeFileSync(join(tmp, "secret.txt"), "secret");
  const board = await startBoard({ logdir: dir, port: 0 });
  try {
    await board.reload();
    const raw = (path: string) =>
      new Promise<number>((ok, fail) => {
        const req = request({ host: "127.0.0.1", port: board.port, path, method: "GET" }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        });
        req.on("error", fail);
        req.end();
      });
    for (const p of [
      "/../secret.txt",
      "/..%2fsecret.txt",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/../../../../etc/passwd",
      "/run/events.out.tfevents.1700000000.test.1.0.v2",
      "/data/../../secret.txt",
    ]) {
      assert.equal(await raw(p), 404, p);
    }
    assert.equal((await get(board.url, "/data/scalars?run=../secret.txt&tag=loss")).status, 404);
    assert.equal((await get(board.url, "/data/scalars?run=run/../run&tag=loss")).status, 404);
  } finally {
    await board.close();
  }
});

test("board: binds to loopback by default; a port in use is a clear error; a missing logdir is an error item", async () => {
  const board = await startBoard({ logdir: join(tmp, "missing"), port: 0 });
  try {
    await board.reload();
    const runs = await json(board.url, "/data/runs");
    assert.deepEqual(runs.runs, []);
    assert.match(runs.errors[0].message, /cannot read the logdir/);
    await assert.rejects(startBoard({ logdir: tmp, port: board.port }), (e: Error) => {
      assert.equal(e.name, "UnavailableError");
      assert.match(e.message, new RegExp(`port ${board.port} on 127\\.0\\.0\\.1 is in use; choose another with --port`));
      return true;
    });
  } finally {
    await board.close();
  }
  assert.ok(existsSync(PAGE_DIR));
});

test("tsflowjs board (the package's command): prints its address at once; a port in use exits 1 with the reason", async () => {
  const cli = join(import.meta.dirname, "..", "dist", "app", "cli.js");
  if (!existsSync(cli)) execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: join(import.meta.dirname, "..") });
  const dir = join(tmp, "cli");
  writeEvents(dir, [summaryEvent(0, [scalarValue("loss", 1)])]);
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, "board", "--logdir", dir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const line = await new Promise<string>((ok, fail) => {
      child.stdout.once("data", (d) => ok(String(d)));
      child.once("exit", (code) => fail(new Error(`exited with ${code}`)));
    });
    const ms = performance.now() - t0;
    console.log(`# board: \`tsflow board\` printed its address ${ms.toFixed(0)} ms after the process was spawned`);
    const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
    assert.ok(url, line);
    // 0.4-0.7 s measured on the 2-core VM when idle (Node itself ~0.2 s), ~2 s while 8 agents shared it: the bound
    // only catches a start that reads the logdir or builds something before listening.
    assert.ok(ms < 5000, `${ms} ms`);
    const port = new URL(url).port;
    const busy = spawnSync(process.execPath, [cli, "board", "--logdir", dir, "--port", port], { encoding: "utf8" });
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, new RegExp(`UnavailableError: port ${port} on 127.0.0.1 is in use`));
    const noLogdir = spawnSync(process.execPath, [cli, "board"], { encoding: "utf8" });
    assert.equal(noLogdir.status, 1);
    assert.match(noLogdir.stderr, /--logdir is required/);
  } finally {
    child.kill("SIGINT");
  }
});

test("board: a real TensorFlow 1 event file (Lingvo's, test/fixtures/tf/tfevents-lingvo-bleu) shows its scalars", async () => {
  const board = await startBoard({ logdir: join(import.meta.dirname, "fixtures", "tf", "tfevents-lingvo-bleu"), port: 0 });
  try {
    await board.reload();
    const runs = await json(board.url, "/data/runs");
    assert.deepEqual(runs.errors, []);
    assert.deepEqual(runs.runs[0].scalars, [
      "bleu/dev",
      "bleu/split:dev",
      "brevity_penalty/dev",
      "brevity_penalty/split:dev",
      "log_perplexity/dev",
      "log_perplexity/split:dev",
      "runtime/sentence/sec",
    ]);
    const bleu = await json(board.url, "/data/scalars?run=.&tag=bleu/dev");
    assert.equal(bleu.total, 360);
    assert.deepEqual([bleu.step[0], bleu.value[0]], [1500, 0.11201018840074539]);
    assert.deepEqual([bleu.step.at(-1), bleu.value.at(-1)], [185200, 0.2852171063423157]);
    const best = bleu.value.indexOf(Math.max(...bleu.value));
    assert.deepEqual([bleu.step[best], bleu.value[best]], [102600, 0.2882329523563385]);
  } finally {
    await board.close();
  }
});

test("board: a logdir written by tf.summary (TensorFlow 2 API) shows its scalars, histograms, images and text", async () => {
  const dir = join(tmp, "tf2");
  const writer = tf.summary.createFileWriter(join(dir, "train"));
  writer.asDefault(() => {
    for (let s = 0; s < 5; s++) tf.summary.scalar("loss", 1 / (s + 1), { step: s });
    tf.summary.histogram("weights", tf.constant([1, 2, 2, 3, 3, 3]), { step: 4, buckets: 3 });
    tf.summary.image("digit", tf.zeros([1, 4, 5, 1], "uint8"), { step: 4 });
    tf.summary.text("note", tf.constant("hello"), { step: 4 });
  });
  writer.close();
  const board = await startBoard({ logdir: dir, port: 0 });
  try {
    await board.reload();
    const runs = await json(board.url, "/data/runs");
    assert.deepEqual(runs.runs, [{ name: "train", scalars: ["loss"], histograms: ["weights"], images: ["digit"], text: ["note"], graph: false }]);
    const loss = await json(board.url, "/data/scalars?run=train&tag=loss");
    assert.deepEqual(loss.step, [0, 1, 2, 3, 4]);
    assert.deepEqual(loss.value, [1, 0.5, 1 / 3, 0.25, 0.2].map(Math.fround));
    const h = await json(board.url, "/data/histograms?run=train&tag=weights");
    assert.equal(h[0].step, 4);
    assert.deepEqual(
      h[0].buckets.map((b: number[]) => b[2]),
      [1, 2, 3],
    );
    const im = await json(board.url, "/data/images?run=train&tag=digit");
    assert.deepEqual([im[0].width, im[0].height, im[0].count], [5, 4, 1]);
    assert.equal((await get(board.url, "/data/image?run=train&tag=digit&index=0&sample=0")).type, "image/png");
    assert.deepEqual((await json(board.url, "/data/text?run=train&tag=note"))[0].texts, ["hello"]);
  } finally {
    await board.close();
  }
});
