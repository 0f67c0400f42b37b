import * as tf from "../../src/index.js";
import { execute } from "../../src/ops/dispatch.js";
import type { OpType } from "../../src/core/schema/index.js";
import { getOpSchema } from "../../src/core/schema/index.js";
import type { FuzzCase, InputCase } from "./cases.js";
import { isRandom } from "./cases.js";

/**
 * One fuzz call, eagerly and in a graph, judged by the oracles: a result's data matches its shape and dtype,
 * the two modes agree (both fail cleanly, or give equal results), the graph's static shape and dtype match
 * the run's, and every failure is a tf.errors.* naming the op.
 */
export type Verdict = { readonly kind: "ok" | "clean" } | { readonly kind: "unclean" | "mismatch"; readonly detail: string };

type Outcome =
  | { ok: true; outs: { dtype: string; shape: number[]; values: unknown[] }[]; static?: { dtype: string; shape: tf.Shape }[] }
  | { ok: false; error: unknown };

const ARRAY_OF: Record<string, string> = {
  float32: "Float32Array",
  float64: "Float64Array",
  // 16-bit floats are held as float32 on the host (core/dtype.ts).
  float16: "Float32Array",
  bfloat16: "Float32Array",
  int32: "Int32Array",
  int64: "BigInt64Array",
  uint8: "Uint8Array",
  bool: "Uint8Array",
  string: "Array",
};

function toTensor(x: InputCase): tf.Tensor {
  const values = x.dtype === "string" ? (x.values as string[]) : x.values;
  return tf.constant(values as never, { dtype: x.dtype, shape: x.shape });
}

/** Data matches shape and dtype; returns what is wrong, or null. */
function checkResult(t: tf.EagerTensor): string | null {
  const v = t.dataSync();
  const n = (t.shape as number[]).reduce((a, b) => a * b, 1);
  if (!(t.shape as number[]).every((d) => Number.isInteger(d) && d >= 0)) return `shape ${JSON.stringify(t.shape)} is not a shape`;
  if (v.length !== n) return `shape ${JSON.stringify(t.shape)} holds ${n} elements but the data has ${v.length}`;
  const want = ARRAY_OF[t.dtype];
  if (want && v.constructor.name !== want) return `dtype ${t.dtype} held in a ${v.constructor.name}`;
  return null;
}

function read(outs: readonly tf.Tensor[]): Outcome {
  return {
    ok: true,
    outs: outs.map((t) => ({ dtype: t.dtype, shape: [...(t.shape as number[])], values: Array.from((t as tf.EagerTensor).dataSync() as ArrayLike<unknown>) })),
  };
}

function runEager(c: FuzzCase): Outcome {
  const inputs = c.inputs.map(toTensor);
  try {
    const outs = execute(c.op as OpType, inputs, c.attrs as never);
    for (const t of outs) {
      const bad = checkResult(t as tf.EagerTensor);
      if (bad) return { ok: false, error: new Error(`eager result: ${bad}`) };
    }
    const r = read(outs);
    for (const t of outs) t.dispose();
    return r;
  } catch (e) {
    return { ok: false, error: e };
  } finally {
    for (const t of inputs) t.dispose();
  }
}

function runGraph(c: FuzzCase): Outcome {
  const g = new tf.Graph();
  const schema = getOpSchema(c.op);
  // Fed values are eager tensors, made before the graph is entered.
  const fed = c.inputs.map(toTensor);
  let sess: tf.Session | undefined;
  try {
    return g.asDefault(() => {
      const feeds = new Map<tf.Tensor, tf.Tensor>();
      const inputs = c.inputs.map((x, i) => {
        const host = schema?.hostInputs?.includes(i) ?? false;
        if (host && !x.unknownShape) return tf.constant(x.values as never, { dtype: x.dtype, shape: x.shape });
        const p = tf.placeholder(x.dtype, x.unknownShape ? null : x.shape);
        feeds.set(p, fed[i]);
        return p;
      });
      const outs = execute(c.op as OpType, inputs, c.attrs as never);
      const statics = outs.map((t) => ({ dtype: t.dtype, shape: t.shape }));
      sess = new tf.Session({ graph: g });
      const got = sess.run(outs, feeds as never) as tf.EagerTensor[];
      for (const t of got) {
        const bad = checkResult(t);
        if (bad) return { ok: false, error: new Error(`graph result: ${bad}`) };
      }
      const r = { ...read(got), static: statics };
      for (const t of got) t.dispose();
      return r;
    });
  } catch (e) {
    return { ok: false, error: e };
  } finally {
    sess?.close();
    for (const t of fed) t.dispose();
  }
}

function clean(e: unknown, c: FuzzCase): string | null {
  if (!(e instanceof tf.errors.OpError)) return `${e instanceof Error ? e.name : typeof e}: ${e instanceof Error ? e.message : String(e)}`;
  if (e instanceof tf.errors.InternalError || e instanceof tf.errors.UnknownError) return `${e.name}: ${e.message}`;
  if (!e.message.includes(c.op) && !/\{\{node |\[Op:/.test(e.message)) return `${e.name} does not name the op: ${e.message}`;
  return null;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return a === b || Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function compatible(s: tf.Shape, run: number[]): boolean {
  return s === null || (s.length === run.length && s.every((d, i) => d === null || d === run[i]));
}

export function runCase(c: FuzzCase): Verdict {
  const e = runEager(c);
  const g = runGraph(c);
  if (!e.ok) {
    const bad = clean(e.error, c);
    if (bad) return { kind: "unclean", detail: `eager: ${bad}` };
  }
  if (!g.ok) {
    const bad = clean(g.error, c);
    if (bad) return { kind: "unclean", detail: `graph: ${bad}` };
  }
  if (!e.ok && !g.ok) return { kind: "clean" };
  // An op with no outputs has nothing to fetch in a graph, so it never runs there: nothing to compare.
  if (g.ok && g.outs.length === 0) return { kind: e.ok ? "ok" : "clean" };
  if (e.ok !== g.ok) {
    const err = (e.ok ? (g as { error: unknown }).error : (e as { error: unknown }).error) as Error;
    return { kind: "mismatch", detail: `${e.ok ? "eager ran, the graph raised" : "the graph ran, eager raised"} ${err.name}: ${err.message}` };
  }
  const eo = (e as Extract<Outcome, { ok: true }>).outs;
  const go = g as Extract<Outcome, { ok: true }>;
  if (eo.length !== go.outs.length) return { kind: "mismatch", detail: `eager gave ${eo.length} outputs, the graph ${go.outs.length}` };
  const random = isRandom(getOpSchema(c.op)!);
  for (let k = 0; k < eo.length; k++) {
    const [a, b] = [eo[k], go.outs[k]];
    const st = go.static?.[k];
    if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) {
      return { kind: "mismatch", detail: `output ${k}: eager ${a.dtype}[${a.shape}] vs graph ${b.dtype}[${b.shape}]` };
    }
    if (st && (st.dtype !== b.dtype || !compatible(st.shape, b.shape))) {
      return { kind: "mismatch", detail: `output ${k}: static ${st.dtype}${JSON.stringify(st.shape)} but the run gave ${b.dtype}[${b.shape}]` };
    }
    if (!random && !a.values.every((v, i) => same(v, b.values[i]))) {
      return {
        kind: "mismatch",
        detail: `output ${k}: values differ: eager ${JSON.stringify(a.values.slice(0, 8), (_k, v) => (typeof v === "bigint" ? `${v}n` : v))} graph ${JSON.stringify(b.values.slice(0, 8), (_k, v) => (typeof v === "bigint" ? `${v}n` : v))}`,
      };
    }
  }
  return { kind: "ok" };
}
