/** Text: per run and tag, the recorded strings, newest step first (a 2-D string tensor shown as a table). */
import { el, getJson, type TextEntry } from "./api.js";

const SHOWN = 25;

export async function textCard(run: string, tag: string): Promise<HTMLElement> {
  const box = el("div", { class: "card wide", "data-tag": tag, "data-run": run }, el("h3", {}, tag), el("div", { class: "sub" }, run));
  let entries: TextEntry[];
  try {
    entries = await getJson<TextEntry[]>("/data/text", { run, tag });
  } catch (e) {
    box.append(el("p", { class: "error" }, String(e)));
    return box;
  }
  for (const e of entries.slice(-SHOWN).reverse()) {
    const body =
      e.shape.length === 2
        ? el(
            "table",
            {},
            ...Array.from({ length: e.shape[0] }, (_, i) => el("tr", {}, ...e.texts.slice(i * e.shape[1], (i + 1) * e.shape[1]).map((t) => el("td", {}, t)))),
          )
        : el("pre", { class: "text" }, e.texts.join("\n"));
    box.append(el("div", { class: "text-entry" }, el("div", { class: "sub" }, `step ${e.step}`), body));
  }
  return box;
}
