/**
 * Graph: a run's GraphDef laid out by dagre. Name scopes ("a/b/c" -> scopes "a", "a/b") start collapsed into
 * one box each; clicking a box expands it into a labelled frame holding its contents (clicking the frame's
 * title collapses it again). Edges between collapsed scopes are merged; control inputs are dashed. Selecting
 * an op shows its type, device, inputs, output shapes and attributes. Wheel zooms, dragging pans.
 */
import dagre from "@dagrejs/dagre";
import { el, type GraphNode } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const sourceName = (input: string) => input.replace(/^\^/, "").replace(/:\d+$/, "");

export class GraphView {
  private readonly byName = new Map<string, GraphNode>();
  private readonly scopes = new Map<string, number>();
  private readonly expanded = new Set<string>();
  private readonly canvas: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly details: HTMLElement;
  private zoom = { k: 1, x: 0, y: 0 };

  constructor(root: HTMLElement, nodes: GraphNode[]) {
    for (const n of nodes) {
      this.byName.set(n.name, n);
      const parts = n.name.split("/");
      for (let i = 1; i < parts.length; i++) {
        const p = parts.slice(0, i).join("/");
        this.scopes.set(p, (this.scopes.get(p) ?? 0) + 1);
      }
    }
    this.canvas = svg("svg", { class: "graph-canvas" });
    this.viewport = svg("g", {});
    this.canvas.append(this.viewport);
    this.details = el("div", { class: "graph-details" }, el("p", { class: "sub" }, "Click an op for its details; click a scope box to open it."));
    root.replaceChildren(el("div", { class: "graph-wrap" }, this.canvas, this.details));
    this.panZoom();
    this.render(true);
  }

  /** The box a node is drawn in: its outermost collapsed scope, or itself. */
  private rep(name: string): string {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!this.expanded.has(p)) return `scope:${p}`;
    }
    return `op:${name}`;
  }

  private render(fit: boolean): void {
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
    g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 36, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(() => ({}));
    const items = new Set<string>();
    for (const name of this.byName.keys()) items.add(this.rep(name));
    const label = (id: string) => {
      const full = id.slice(id.indexOf(":") + 1);
      return full.slice(full.lastIndexOf("/") + 1);
    };
    for (const id of items) {
      const isScope = id.startsWith("scope:");
      const text = isScope ? `${label(id)} (${this.scopes.get(id.slice(6))})` : label(id);
      g.setNode(id, { width: Math.max(70, text.length * 7 + 24), height: isScope ? 38 : 30 });
    }
    // Frames of the expanded scopes, nested as the names are.
    for (const s of this.expanded) g.setNode(`frame:${s}`, { label: s });
    for (const s of this.expanded) {
      const up = s.includes("/") ? s.slice(0, s.lastIndexOf("/")) : "";
      if (up && this.expanded.has(up)) g.setParent(`frame:${s}`, `frame:${up}`);
    }
    for (const id of items) {
      const full = id.slice(id.indexOf(":") + 1);
      const up = full.includes("/") ? full.slice(0, full.lastIndexOf("/")) : "";
      if (up && this.expanded.has(up)) g.setParent(id, `frame:${up}`);
    }
    const control = new Set<string>();
    for (const n of this.byName.values()) {
      const to = this.rep(n.name);
      for (const input of n.inputs) {
        const src = sourceName(input);
        if (!this.byName.has(src)) continue;
        const from = this.rep(src);
        if (from === to) continue;
        g.setEdge(from, to);
        if (input.startsWith("^")) control.add(`${from}\u0000${to}`);
        else control.delete(`${from}\u0000${to}`);
      }
    }
    // A frame with nothing in it (a scope whose ops are all elsewhere) would have no size: drop it.
    for (const s of this.expanded) if ((g.children(`frame:${s}`) ?? []).length === 0) g.removeNode(`frame:${s}`);
    dagre.layout(g);

    this.viewport.replaceChildren();
    const frames = svg("g", {});
    const edges = svg("g", {});
    const boxes = svg("g", {});
    this.viewport.append(frames, edges, boxes);
    for (const id of g.nodes()) {
      const n = g.node(id);
      if (n === undefined || n.x === undefined) continue;
      const x = n.x - n.width / 2;
      const y = n.y - n.height / 2;
      if (id.startsWith("frame:")) {
        const scope = id.slice(6);
        const f = svg("g", { class: "frame", "data-frame": scope });
        const title = svg("text", { x: x + 8, y: y + 14, class: "frame-title" });
        title.textContent = `▾ ${scope}`;
        f.append(svg("rect", { x, y, width: n.width, height: n.height, rx: 8 }), title);
        title.addEventListener("click", (ev) => {
          ev.stopPropagation();
          for (const e of [...this.expanded]) if (e === scope || e.startsWith(`${scope}/`)) this.expanded.delete(e);
          this.render(false);
        });
        frames.append(f);
        continue;
      }
      const isScope = id.startsWith("scope:");
      const full = id.slice(id.indexOf(":") + 1);
      const grp = svg("g", isScope ? { class: "scope", "data-scope": full } : { class: "op", "data-node": full });
      const shape = isScope
        ? svg("rect", { x, y, width: n.width, height: n.height, rx: 6 })
        : svg("ellipse", { cx: n.x, cy: n.y, rx: n.width / 2, ry: n.height / 2 });
      const t = svg("text", { x: n.x, y: n.y + 4, "text-anchor": "middle" });
      t.textContent = isScope ? `${label(id)} (${this.scopes.get(full)})` : label(id);
      const tip = svg("title", {});
      tip.textContent = isScope ? `scope ${full}: click to open` : `${full} (${this.byName.get(full)?.op})`;
      grp.append(shape, t, tip);
      grp.addEventListener("click", (ev) => {
        ev.stopPropagation();
        if (isScope) {
          this.expanded.add(full);
          this.render(false);
          this.showScope(full);
        } else this.showOp(full, grp);
      });
      boxes.append(grp);
    }
    for (const e of g.edges()) {
      const pts = g.edge(e)?.points ?? [];
      if (pts.length === 0) continue;
      const d = pts.map((p: { x: number; y: number }, i: number) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" ");
      const dashed = control.has(`${e.v}\u0000${e.w}`);
      edges.append(svg("path", { d, class: dashed ? "edge control" : "edge", "marker-end": "url(#arrow)" }));
    }
    this.ensureArrow();
    const gl = g.graph();
    if (fit) this.fit(gl.width ?? 100, gl.height ?? 100);
  }

  private ensureArrow(): void {
    if (this.canvas.querySelector("#arrow")) return;
    const defs = svg("defs", {});
    const m = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
    m.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }));
    defs.append(m);
    this.canvas.prepend(defs);
  }

  private fit(w: number, h: number): void {
    const box = this.canvas.getBoundingClientRect();
    const k = Math.min(1.5, (box.width || 800) / w, (box.height || 600) / h);
    this.zoom = { k, x: ((box.width || 800) - w * k) / 2, y: 10 };
    this.applyZoom();
  }

  private applyZoom(): void {
    this.viewport.setAttribute("transform", `translate(${this.zoom.x},${this.zoom.y}) scale(${this.zoom.k})`);
  }

  private panZoom(): void {
    let drag: { x: number; y: number } | undefined;
    this.canvas.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = this.canvas.getBoundingClientRect();
      const f = Math.exp(-ev.deltaY / 500);
      const px = ev.clientX - r.left;
      const py = ev.clientY - r.top;
      this.zoom = { k: this.zoom.k * f, x: px - (px - this.zoom.x) * f, y: py - (py - this.zoom.y) * f };
      this.applyZoom();
    });
    this.canvas.addEventListener("pointerdown", (ev) => (drag = { x: ev.clientX, y: ev.clientY }));
    window.addEventListener("pointerup", () => (drag = undefined));
    this.canvas.addEventListener("pointermove", (ev) => {
      if (drag === undefined || ev.buttons === 0) return;
      this.zoom.x += ev.clientX - drag.x;
      this.zoom.y += ev.clientY - drag.y;
      drag = { x: ev.clientX, y: ev.clientY };
      this.applyZoom();
    });
  }

  private showScope(scope: string): void {
    this.details.replaceChildren(el("h3", {}, scope), el("p", {}, `name scope, ${this.scopes.get(scope)} ops inside`));
  }

  private showOp(name: string, grp: SVGGElement): void {
    for (const s of this.viewport.querySelectorAll(".selected")) s.classList.remove("selected");
    grp.classList.add("selected");
    const n = this.byName.get(name)!;
    const rows: [string, string][] = [
      ["op", n.op],
      ["device", n.device || "(unplaced)"],
    ];
    const table = el("table", { class: "attrs" }, ...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
    const inputs = el("ul", {}, ...n.inputs.map((i) => el("li", {}, i.startsWith("^") ? `${i.slice(1)} (control)` : i)));
    const shapes = el("ul", {}, ...n.shapes.map((s, i) => el("li", {}, `${i}: ${s}`)));
    const attrs = el("table", { class: "attrs" }, ...Object.entries(n.attrs).map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
    this.details.replaceChildren(
      el("h3", { class: "node-name" }, name),
      table,
      el("h4", {}, `inputs (${n.inputs.length})`),
      inputs,
      el("h4", {}, "output shapes"),
      n.shapes.length ? shapes : el("p", { class: "sub" }, "not recorded"),
      el("h4", {}, "attributes"),
      attrs,
    );
  }
}
