import type { DType } from "./dtype.js";
import { broadcastShapes } from "./shape.js";

/**
 * Fused elementwise programs: what a Session's fusion pass (runtime/fusion.ts) hands a backend to run as one
 * kernel. A program is a small DAG of ops in topological order; the last op's value is the result. Each op
 * reads external inputs or earlier ops' values, and its value is what the unfused op would have stored (its
 * dtype's storage rounding applied), so the fused kernel computes what the chain of unfused kernels does.
 */
export interface FusedOp {
  /** Op type: a row of the op table with `elementwise`, or Cast, or SelectV2. */
  readonly type: string;
  /** Operands in the op's input order: k >= 0 is op k's value, k < 0 is external input -1 - k. */
  readonly args: readonly number[];
  /** Dtype of the value operands (SelectV2: of its two branches; Cast: its source dtype). */
  readonly inDType: DType;
  readonly outDType: DType;
}

export interface FusedProgram {
  readonly inputDTypes: readonly DType[];
  readonly ops: readonly FusedOp[];
  /** Everything the generated code depends on: kernels are cached by it. */
  readonly key: string;
}

export function programKey(inputDTypes: readonly DType[], ops: readonly FusedOp[]): string {
  return `${inputDTypes.join(",")}|${ops.map((o) => `${o.type}:${o.inDType}>${o.outDType}(${o.args.join(",")})`).join(";")}`;
}

/**
 * The result shape of a program on inputs of these shapes, by the unfused ops' broadcasting rules, or null
 * when some op's operands do not broadcast (the caller then runs the ops one by one, which raise the error).
 */
export function fusedShape(p: FusedProgram, inputShapes: readonly (readonly number[])[]): number[] | null {
  // Steps repeat with the same shapes: the last answer per program is kept.
  const last = lastShapes.get(p);
  if (last && sameShapeList(last.inputs, inputShapes)) return last.out && [...last.out];
  const out = computeShape(p, inputShapes);
  lastShapes.set(p, { inputs: inputShapes.map((s) => s.slice()), out });
  return out && [...out];
}

const lastShapes = new WeakMap<FusedProgram, { inputs: readonly (readonly number[])[]; out: number[] | null }>();

export function sameShapeList(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    if (a[k].length !== b[k].length) return false;
    for (let d = 0; d < a[k].length; d++) if (a[k][d] !== b[k][d]) return false;
  }
  return true;
}

function computeShape(p: FusedProgram, inputShapes: readonly (readonly number[])[]): number[] | null {
  const shapes: (readonly number[])[] = [];
  for (const op of p.ops) {
    let s: readonly number[] | null = null;
    for (const a of op.args) {
      const sh = a < 0 ? inputShapes[-1 - a] : shapes[a];
      if (s === null) s = sh;
      else {
        const r = broadcastShapes(s as number[], sh as number[]);
        if (r === "incompatible" || r === null) return null;
        s = r as number[];
      }
    }
    shapes.push(s ?? []);
  }
  return shapes.length ? [...shapes[shapes.length - 1]] : null;
}

/**
 * Merges output dimensions that every input walks the same way (contiguously, or broadcast), dropping size-1
 * dims: `dims` and per input the element strides (0 where broadcast), innermost last. A shape of n elements
 * with every input full or scalar collapses to one dim.
 */
export function collapseDims(out: readonly number[], inputs: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const r = out.length;
  const full = inputs.map((s) => {
    const padded = [...new Array<number>(r - s.length).fill(1), ...s];
    const st = new Array<number>(r);
    let acc = 1;
    for (let i = r - 1; i >= 0; i--) {
      st[i] = padded[i] === 1 ? 0 : acc;
      acc *= padded[i];
    }
    return st;
  });
  const dims: number[] = [];
  const strides: number[][] = inputs.map(() => []);
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && full.every((st, j) => strides[j][k] === st[i] * out[i])) {
      dims[k] *= out[i];
      full.forEach((st, j) => (strides[j][k] = st[i]));
    } else {
      dims.push(out[i]);
      full.forEach((st, j) => strides[j].push(st[i]));
    }
  }
  return { dims, strides };
}
