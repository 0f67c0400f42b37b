/** Images: per run and tag, the image of the chosen step (a slider over the recorded steps; it follows the latest). */
import { el, getJson, type ImageEntry } from "./api.js";

/** Slider positions kept across refreshes; a slider at its end stays at the newest step. */
const chosen = new Map<string, number>();

export async function imageCard(run: string, tag: string): Promise<HTMLElement> {
  const box = el("div", { class: "card", "data-tag": tag, "data-run": run }, el("h3", {}, tag), el("div", { class: "sub" }, run));
  let entries: ImageEntry[];
  try {
    entries = await getJson<ImageEntry[]>("/data/images", { run, tag });
  } catch (e) {
    box.append(el("p", { class: "error" }, String(e)));
    return box;
  }
  if (entries.length === 0) return box;
  const key = `${run}\u0000${tag}`;
  const last = entries.length - 1;
  const start = Math.min(chosen.get(key) ?? last, last);
  const slider = el("input", { type: "range", min: "0", max: String(last), value: String(start), class: "step-slider" });
  const label = el("span", { class: "sub" });
  const pics = el("div", { class: "pics" });
  const show = (i: number) => {
    const e = entries[i];
    label.textContent = `step ${e.step}  (${i + 1} of ${entries.length})`;
    pics.replaceChildren(
      ...Array.from({ length: e.count }, (_, s) =>
        el("img", { src: `/data/image?${new URLSearchParams({ run, tag, index: String(i), sample: String(s) })}`, alt: `${tag} step ${e.step}` }),
      ),
    );
    chosen.set(key, i === last ? Number.MAX_SAFE_INTEGER : i);
  };
  slider.addEventListener("input", () => show(Number(slider.value)));
  show(start);
  box.append(el("div", { class: "row" }, slider, label), pics);
  return box;
}
