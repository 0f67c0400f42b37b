/**
 * The board's page in a real browser: Debian's Chromium driven headless by playwright-core against a logdir
 * written here. Scalar charts hold the written values, live refresh brings new points, images follow a step
 * slider, a name scope of the graph expands on click and an op's details show; a screenshot is taken
 * (docs/board.png when TSFLOW_BOARD_SCREENSHOT=docs/board.png, `npm run docs:board`). Skipped, with the
 * reason, when Chromium is missing (scripts/install-system-deps.sh installs it).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { startBoard } from "../src/board/server.js";
import { appendEvents, scalarValue, summaryEvent, writeSampleLogdir } from "./util/board_logdir.js";
import { buildBoardPage } from "./util/board_page.js";

const CHROMIUM = [process.env.TSFLOW_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
const skip = CHROMIUM === undefined ? "Chromium is not installed (apt-get install chromium, or set TSFLOW_CHROMIUM)" : false;

test("board page in Chromium: scalars drawn as written, live refresh, images, graph scopes expand", { skip, timeout: 120_000 }, async () => {
  buildBoardPage();
  const dir = mkdtempSync(join(tmpdir(), "tsflow-board-page-"));
  const steps = 200;
  writeSampleLogdir(dir, steps);
  const board = await startBoard({ logdir: dir, port: 0, reloadMs: 200 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(board.url)) external.push(r.url());
    });
    await page.goto(`${board.url}?refresh=500`);
    await page.waitForSelector('.card.chart[data-tag="loss"] canvas');
    await page.waitForFunction('document.querySelectorAll(".card.chart canvas").length === 2');

    // The charts hold the values written (float32, as simple_value stores them), for both runs.
    type Dump = Record<string, Record<string, { step: number[]; value: number[] }>>;
    const dump = (await page.evaluate("window.__board.scalars()")) as Dump;
    assert.deepEqual(Object.keys(dump).sort(), ["accuracy", "loss"]);
    assert.deepEqual(Object.keys(dump.loss).sort(), ["train", "validation"]);
    const train = dump.loss.train;
    assert.deepEqual(
      train.step,
      Array.from({ length: steps }, (_, s) => s),
    );
    const expected = (s: number) => Math.fround(2.3 * Math.exp(-0.03 * s) + 0.1 + Math.sin(s * 1.7) * 0.15 * Math.exp(-0.01 * s));
    train.value.forEach((v, s) => assert.equal(v, expected(s), `loss at step ${s}`));
    const drawn = (await page.evaluate("window.__board.drawnPoints()")) as Record<string, number>;
    assert.equal(drawn.loss, steps);

    // Live refresh: a new point written while the page is open appears without a reload.
    const file = join(dir, "train", "events.out.tfevents.1700000000.test.1.0.v2");
    appendEvents(file, [summaryEvent(steps, [scalarValue("loss", 0.01)])]);
    await page.waitForFunction(`window.__board.scalars().loss.train.step.length === ${steps + 1}`, undefined, { timeout: 10_000 });

    // Smoothing slider and log axis redraw without errors.
    await page.fill("#smoothing", "0.9");
    await page.check("#logy");
    await page.waitForTimeout(200);
    await page.uncheck("#logy");
    const shot = process.env.TSFLOW_BOARD_SCREENSHOT ?? join(dir, "board.png");
    await page.fill("#smoothing", "0.6");
    await page.waitForTimeout(300);
    await page.screenshot({ path: shot });
    assert.deepEqual([...readFileSync(shot).subarray(1, 4)], [0x50, 0x4e, 0x47]);

    // Images: the step slider shows another step's image.
    await page.click('[data-tab="images"]');
    const card = page.locator('.card[data-run="train"][data-tag="digits"]');
    await card.locator("img").waitFor();
    assert.match((await card.locator(".row .sub").textContent()) ?? "", /step 180/);
    await card.locator("input[type=range]").fill("0");
    assert.match((await card.locator(".row .sub").textContent()) ?? "", /step 0 /);
    await page.waitForFunction(
      `(() => { const img = document.querySelector('.card[data-run="train"] img'); return img !== null && img.complete && img.naturalWidth === 28; })()`,
    );

    // Graph: layer1 starts collapsed; a click expands it and its MatMul is selectable.
    await page.click('[data-tab="graph"]');
    await page.waitForSelector('[data-scope="layer1"]');
    assert.equal(await page.locator('[data-node="layer1/MatMul"]').count(), 0);
    await page.click('[data-scope="layer1"]');
    await page.waitForSelector('[data-node="layer1/MatMul"]');
    await page.waitForSelector('[data-frame="layer1"]');
    await page.click('[data-node="layer1/MatMul"]');
    assert.equal((await page.locator(".graph-details .node-name").textContent()) ?? "", "layer1/MatMul");
    assert.match((await page.locator(".graph-details").textContent()) ?? "", /MatMul[\s\S]*x[\s\S]*layer1\/W\/read[\s\S]*transpose_a/);
    // The frame's title collapses it again.
    await page.click('[data-frame="layer1"] text');
    await page.waitForSelector('[data-scope="layer1"]');

    assert.deepEqual(errors, []);
    assert.deepEqual(external, [], "the page loads nothing from outside the board");
  } finally {
    await browser.close();
    await board.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
