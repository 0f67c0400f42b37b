/**
 * The board's page: tabs (Scalars, Histograms, Images, Text, Graph), the runs in the sidebar (each in its
 * colour, enabled or not), the scalar settings, the logdir's load errors, and a live refresh every 5 s.
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { el, getJson, type GraphNode, type RunInfo, type RunsReply, runColor } from "./api.js";
import { GraphView } from "./graph.js";
import { histogramCard } from "./histograms.js";
import { imageCard } from "./images.js";
import { type ScalarSettings, ScalarsView } from "./scalars.js";
import { textCard } from "./text.js";

type Tab = "scalars" | "histograms" | "images" | "text" | "graph";
const TABS: [Tab, string][] = [
  ["scalars", "Scalars"],
  ["histograms", "Histograms"],
  ["images", "Images"],
  ["text", "Text"],
  ["graph", "Graph"],
];
/** Live refresh period: 5 s, or `?refresh=<ms>` in the address. */
const REFRESH_MS = Number(new URLSearchParams(location.search).get("refresh")) || 5000;

const main = document.getElementById("main")!;
const side = document.getElementById("side")!;
const state = {
  tab: (location.hash.slice(1) as Tab) || "scalars",
  reply: { logdir: "", runs: [], errors: [] } as RunsReply,
  disabled: new Set<string>(),
  colors: new Map<string, string>(),
  settings: { smoothing: 0.6, logY: false, xMode: "step" } as ScalarSettings,
  graphRun: "",
  shownGraph: "",
};
const scalars = new ScalarsView(el("div", { class: "cards" }));
const scalarsRoot = scalars.root;
let busy = false;

const enabledRuns = (): RunInfo[] => state.reply.runs.filter((r) => !state.disabled.has(r.name));

function renderTabs(): void {
  const nav = document.getElementById("tabs")!;
  nav.replaceChildren(
    ...TABS.map(([id, label]) => {
      const b = el("button", { type: "button", class: id === state.tab ? "tab active" : "tab", "data-tab": id }, label);
      b.addEventListener("click", () => {
        state.tab = id;
        location.hash = id;
        renderTabs();
        void show(true);
      });
      return b;
    }),
  );
}

function renderSide(): void {
  const runs = state.reply.runs.map((r) => {
    const box = el("input", { type: "checkbox", "data-run": r.name });
    box.checked = !state.disabled.has(r.name);
    box.addEventListener("change", () => {
      if (box.checked) state.disabled.delete(r.name);
      else state.disabled.add(r.name);
      void show(true);
    });
    return el("label", { class: "run" }, box, el("span", { class: "swatch", style: `background:${state.colors.get(r.name)}` }), r.name);
  });
  const parts: HTMLElement[] = [el("h4", {}, "Runs"), el("div", { class: "sub" }, state.reply.logdir), ...runs];
  if (runs.length === 0) parts.push(el("p", { class: "sub" }, "No event files yet; the logdir is read again every few seconds."));
  if (state.tab === "scalars") parts.push(scalarSettings());
  if (state.reply.errors.length > 0) {
    parts.push(
      el("h4", {}, "Problems"),
      ...state.reply.errors.map((e) => el("div", { class: "error load-error" }, `${e.run ? `${e.run}: ` : ""}${e.file}: ${e.message}`)),
    );
  }
  side.replaceChildren(...parts);
}

function scalarSettings(): HTMLElement {
  const s = state.settings;
  const slider = el("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(s.smoothing), id: "smoothing" });
  const shown = el("span", {}, s.smoothing.toFixed(2));
  slider.addEventListener("input", () => {
    s.smoothing = Number(slider.value);
    shown.textContent = s.smoothing.toFixed(2);
    void show(false);
  });
  const log = el("input", { type: "checkbox", id: "logy" });
  log.checked = s.logY;
  log.addEventListener("change", () => {
    s.logY = log.checked;
    void show(false);
  });
  const xs = el(
    "select",
    { id: "xmode" },
    ...(["step", "relative", "wall"] as const).map((m) => el("option", m === s.xMode ? { value: m, selected: "" } : { value: m }, m)),
  );
  xs.addEventListener("change", () => {
    s.xMode = xs.value as ScalarSettings["xMode"];
    void show(false);
  });
  return el(
    "div",
    { class: "settings" },
    el("h4", {}, "Scalars"),
    el("label", {}, "Smoothing ", slider, shown),
    el("label", {}, log, " log y axis"),
    el("label", {}, "x axis ", xs),
  );
}

async function cards(kind: "histograms" | "images" | "text"): Promise<void> {
  const make = kind === "histograms" ? histogramCard : kind === "images" ? (r: string, t: string) => imageCard(r, t) : (r: string, t: string) => textCard(r, t);
  const list: Promise<HTMLElement>[] = [];
  for (const r of enabledRuns()) for (const t of r[kind]) list.push(make(r.name, t, state.colors.get(r.name) ?? "#888"));
  const made = await Promise.all(list);
  const holder = el("div", { class: "cards" }, ...made);
  if (made.length === 0) holder.append(el("p", { class: "empty" }, `No ${kind} data in the enabled runs.`));
  main.replaceChildren(holder);
}

async function graphTab(): Promise<void> {
  const withGraph = state.reply.runs.filter((r) => r.graph);
  if (withGraph.length === 0) {
    state.shownGraph = "";
    main.replaceChildren(el("p", { class: "empty" }, "No graph in any run (write one with FileWriter(logdir, graph) or the Keras TensorBoard callback)."));
    return;
  }
  if (!withGraph.some((r) => r.name === state.graphRun)) state.graphRun = withGraph[0].name;
  if (state.shownGraph === state.graphRun && main.querySelector(".graph-wrap")) return;
  const pick = el(
    "select",
    { id: "graph-run" },
    ...withGraph.map((r) => el("option", r.name === state.graphRun ? { value: r.name, selected: "" } : { value: r.name }, r.name)),
  );
  pick.addEventListener("change", () => {
    state.graphRun = pick.value;
    void show(true);
  });
  const area = el("div", { class: "graph-area" });
  main.replaceChildren(el("div", { class: "row" }, el("span", {}, "Run "), pick), area);
  try {
    const g = await getJson<{ nodes: GraphNode[] }>("/data/graph", { run: state.graphRun });
    new GraphView(area, g.nodes);
    state.shownGraph = state.graphRun;
  } catch (e) {
    area.replaceChildren(el("p", { class: "error" }, String(e)));
  }
}

/** Fetches the run list, then redraws the current tab (`rebuild` false: only re-draw from data in hand). */
async function show(refetch: boolean): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    if (refetch) {
      state.reply = await getJson<RunsReply>("/data/runs");
      state.reply.runs.forEach((r, i) => state.colors.set(r.name, runColor(i)));
    }
    renderSide();
    if (state.tab !== "graph") state.shownGraph = "";
    if (state.tab === "scalars") {
      if (!main.contains(scalarsRoot)) main.replaceChildren(scalarsRoot);
      await scalars.update(enabledRuns(), state.colors, state.settings);
    } else if (state.tab === "graph") await graphTab();
    else await cards(state.tab);
    document.body.dataset.ready = String(Number(document.body.dataset.ready ?? 0) + 1);
  } catch (e) {
    main.replaceChildren(el("p", { class: "error" }, `cannot reach the board server: ${e}`));
  } finally {
    busy = false;
  }
}

// For the browser test and for curious users: what each scalar chart was given.
(window as unknown as { __board: unknown }).__board = { scalars: () => scalars.dump(), drawnPoints: () => scalars.drawnPoints() };

document.getElementById("reload")!.addEventListener("click", () => void show(true));
setInterval(() => {
  const live = document.getElementById("live") as HTMLInputElement;
  // Live refresh redraws the data dashboards; an open graph stays as it is (its layout and selection kept).
  if (live.checked && document.visibilityState === "visible") void show(true);
}, REFRESH_MS);
renderTabs();
void show(true);
