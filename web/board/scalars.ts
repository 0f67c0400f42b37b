/**
 * Scalars: one chart per tag (uPlot), every enabled run overlaid in its colour: the raw values faint, the
 * smoothed ones (TensorBoard's debiased exponential moving average) solid; y linear or log; x = step, relative
 * time (hours since the run's first point) or wall time. A refresh updates the charts' data in place.
 */
import uPlot from "uplot";
import { el, getScalars, type RunInfo, type ScalarReply } from "./api.js";

export interface ScalarSettings {
  smoothing: number;
  logY: boolean;
  xMode: "step" | "relative" | "wall";
}

/** TensorBoard's smoothing: an EMA whose start-up bias toward 0 is divided out (1 - w^n). */
export function smooth(values: number[], weight: number): number[] {
  let last = 0;
  let n = 0;
  return values.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * weight + (1 - weight) * y;
    n++;
    const debias = weight === 1 ? 1 : 1 - weight ** n;
    return last / debias;
  });
}

interface Card {
  tag: string;
  plot: uPlot | undefined;
  box: HTMLElement;
  /** The data as the server sent it, by run: read by the browser test through window.__board. */
  raw: Map<string, ScalarReply>;
  key: string;
}

export class ScalarsView {
  private cards = new Map<string, Card>();
  constructor(readonly root: HTMLElement) {}

  /** Builds or updates one card per tag of the enabled runs. */
  async update(runs: RunInfo[], colors: Map<string, string>, settings: ScalarSettings): Promise<void> {
    const tags = [...new Set(runs.flatMap((r) => r.scalars))].sort();
    if (tags.length === 0) {
      this.root.replaceChildren(el("p", { class: "empty" }, "No scalar data in the enabled runs."));
      this.cards.clear();
      return;
    }
    if (this.root.querySelector(".empty")) this.root.replaceChildren();
    for (const [tag, card] of this.cards) {
      if (!tags.includes(tag)) {
        card.plot?.destroy();
        card.box.remove();
        this.cards.delete(tag);
      }
    }
    await Promise.all(
      tags.map(async (tag) => {
        let card = this.cards.get(tag);
        if (card === undefined) {
          const box = el("div", { class: "card chart", "data-tag": tag }, el("h3", {}, tag));
          this.root.append(box);
          card = { tag, plot: undefined, box, raw: new Map(), key: "" };
          this.cards.set(tag, card);
        }
        const withTag = runs.filter((r) => r.scalars.includes(tag));
        const replies = await Promise.all(withTag.map((r) => getScalars(r.name, tag).catch(() => undefined)));
        card.raw = new Map();
        withTag.forEach((r, i) => replies[i] && card.raw.set(r.name, replies[i]));
        this.draw(card, colors, settings);
      }),
    );
    // Keep the cards in tag order.
    for (const tag of tags) this.root.append(this.cards.get(tag)!.box);
  }

  private draw(card: Card, colors: Map<string, string>, s: ScalarSettings): void {
    const runs = [...card.raw.keys()];
    const tables: uPlot.AlignedData[] = runs.map((run) => {
      const r = card.raw.get(run)!;
      const t0 = r.wall[0] ?? 0;
      const xs = s.xMode === "step" ? r.step : s.xMode === "relative" ? r.wall.map((w) => (w - t0) / 3600) : r.wall;
      // uPlot wants increasing x: a run restarted at an earlier step is drawn in the order of its x values.
      const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
      const ys = order.map((i) => r.value[i]);
      const sm = smooth(ys, s.smoothing);
      const pos = (v: number) => (s.logY && !(v > 0) ? null : Number.isFinite(v) ? v : null);
      return [order.map((i) => xs[i]), ys.map(pos), sm.map(pos)] as uPlot.AlignedData;
    });
    const data = tables.length > 0 ? uPlot.join(tables) : ([[]] as unknown as uPlot.AlignedData);
    const key = `${runs.join("|")}/${s.logY}/${s.xMode}`;
    card.box.dataset.points = String(runs.reduce((n, run) => n + card.raw.get(run)!.step.length, 0));
    if (card.plot !== undefined && card.key === key) {
      card.plot.setData(data);
      return;
    }
    card.plot?.destroy();
    card.key = key;
    const series: uPlot.Series[] = [{ label: s.xMode === "step" ? "step" : s.xMode === "relative" ? "hours" : "time" }];
    for (const run of runs) {
      const c = colors.get(run) ?? "#888";
      series.push({ label: `${run} (raw)`, stroke: `${c}44`, width: 1, spanGaps: true, points: { show: false } });
      series.push({ label: run, stroke: c, width: 1.5, spanGaps: true, points: { show: false } });
    }
    const width = Math.max(320, Math.min(card.box.clientWidth - 16 || 480, 640));
    card.plot = new uPlot(
      {
        width,
        height: 260,
        series,
        scales: { x: { time: s.xMode === "wall" }, y: s.logY ? { distr: 3 } : {} },
        axes: [{}, { size: 60 }],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      },
      data,
      card.box,
    );
  }

  /** For the tests: the values each chart was given, by tag then run. */
  dump(): Record<string, Record<string, { step: number[]; value: number[] }>> {
    const out: Record<string, Record<string, { step: number[]; value: number[] }>> = {};
    for (const [tag, card] of this.cards) {
      out[tag] = {};
      for (const [run, r] of card.raw) out[tag][run] = { step: r.step, value: r.value };
    }
    return out;
  }

  /** Series of uPlot charts: how many points each drew (raw series), by tag. */
  drawnPoints(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [tag, card] of this.cards) out[tag] = card.plot ? card.plot.data[0].length : 0;
    return out;
  }

  clear(): void {
    for (const c of this.cards.values()) c.plot?.destroy();
    this.cards.clear();
    this.root.replaceChildren();
  }
}
