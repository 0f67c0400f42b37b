/** The board server's JSON API (src/board/server.ts), typed for the page. */
export interface RunInfo {
  name: string;
  scalars: string[];
  histograms: string[];
  images: string[];
  text: string[];
  graph: boolean;
}
export interface LoadError {
  run: string;
  file: string;
  message: string;
}
export interface RunsReply {
  logdir: string;
  runs: RunInfo[];
  errors: LoadError[];
}
export interface ScalarReply {
  total: number;
  step: number[];
  wall: number[];
  value: number[];
}
export interface HistogramEntry {
  step: number;
  wallTime: number;
  buckets: [number, number, number][];
}
export interface ImageEntry {
  step: number;
  wallTime: number;
  width: number;
  height: number;
  count: number;
}
export interface TextEntry {
  step: number;
  wallTime: number;
  shape: number[];
  texts: string[];
}
export interface GraphNode {
  name: string;
  op: string;
  device: string;
  inputs: string[];
  attrs: Record<string, string>;
  shapes: string[];
}

export async function getJson<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const q = new URLSearchParams(params).toString();
  const res = await fetch(q ? `${path}?${q}` : path, { cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body as T;
}

export async function getScalars(run: string, tag: string): Promise<ScalarReply> {
  const r = await getJson<ScalarReply>("/data/scalars", { run, tag });
  // NaN and infinities arrive as strings (JSON has no such numbers).
  r.value = r.value.map(Number);
  return r;
}

/** Colours of runs, in the order runs are listed (TensorBoard-like palette). */
const PALETTE = ["#ff7043", "#0077bb", "#cc3311", "#009988", "#33bbee", "#ee3377", "#bbbbbb", "#aa7722", "#7744aa", "#117733"];
export function runColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}
