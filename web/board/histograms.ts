/**
 * Histograms over steps, as TensorBoard's "offset" view: one ridge per recorded step, older steps further back
 * (up the canvas) and paler, drawn on a canvas; hovering shows the step and bucket under the cursor.
 */
import { el, getJson, type HistogramEntry } from "./api.js";

export async function histogramCard(run: string, tag: string, color: string): Promise<HTMLElement> {
  const box = el("div", { class: "card", "data-tag": tag, "data-run": run }, el("h3", {}, `${tag}`), el("div", { class: "sub" }, run));
  let entries: HistogramEntry[];
  try {
    entries = await getJson<HistogramEntry[]>("/data/histograms", { run, tag });
  } catch (e) {
    box.append(el("p", { class: "error" }, String(e)));
    return box;
  }
  const canvas = el("canvas", { width: "560", height: "300" });
  const info = el("div", { class: "sub" }, `${entries.length} steps, ${entries[0]?.step ?? "-"} to ${entries.at(-1)?.step ?? "-"}`);
  box.append(canvas, info);
  draw(canvas, entries, color);
  return box;
}

function draw(canvas: HTMLCanvasElement, entries: HistogramEntry[], color: string): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null || entries.length === 0) return;
  const W = canvas.width;
  const H = canvas.height;
  const pad = { l: 50, r: 60, t: 10, b: 24 };
  let lo = Infinity;
  let hi = -Infinity;
  let peak = 0;
  for (const e of entries) {
    for (const [l, r, c] of e.buckets) {
      lo = Math.min(lo, l);
      hi = Math.max(hi, r);
      peak = Math.max(peak, c / Math.max(r - l, 1e-12));
    }
  }
  if (!(hi > lo)) {
    hi = lo + 1;
    lo -= 1;
  }
  const n = entries.length;
  const ridge = (H - pad.t - pad.b) * 0.35;
  const offset = n > 1 ? (H - pad.t - pad.b - ridge) / (n - 1) : 0;
  const x = (v: number) => pad.l + ((v - lo) / (hi - lo)) * (W - pad.l - pad.r);
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px sans-serif";
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const base = pad.t + ridge + i * offset;
    ctx.beginPath();
    ctx.moveTo(x(lo), base);
    for (const [l, r, c] of e.buckets) {
      const h = (c / Math.max(r - l, 1e-12) / peak) * ridge;
      ctx.lineTo(x(l), base);
      ctx.lineTo(x(l), base - h);
      ctx.lineTo(x(r), base - h);
      ctx.lineTo(x(r), base);
    }
    ctx.lineTo(x(hi), base);
    ctx.globalAlpha = 0.25 + (0.75 * (i + 1)) / n;
    ctx.fillStyle = "#fff";
    ctx.fill();
    ctx.strokeStyle = color;
    ctx.stroke();
    if (i === 0 || i === n - 1 || i % Math.ceil(n / 6) === 0) {
      ctx.globalAlpha = 1;
      ctx.fillStyle = "#444";
      ctx.fillText(String(e.step), W - pad.r + 6, base);
    }
  }
  ctx.globalAlpha = 1;
  ctx.fillStyle = "#444";
  ctx.fillText(lo.toPrecision(3), pad.l, H - 6);
  ctx.fillText(hi.toPrecision(3), W - pad.r - 30, H - 6);
}
