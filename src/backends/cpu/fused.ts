import { allocOutput, DType, Values } from "../../core/dtype.js";
import { InternalError } from "../../core/errors.js";
import { sizeOf } from "../../core/shape.js";
import { getOpSchema } from "../../core/schema/index.js";
import { collapseDims, FusedOp, FusedProgram } from "../../core/fused.js";
import { exprFor } from "./elementwise_loops.js";

/**
 * Fused elementwise programs on the CPU: one generated JS loop computing the whole expression per element
 * (no temporary arrays between the ops). Each op's scalar body is its op-table expression, the same text the
 * unfused kernel uses, and each intermediate value is converted as storing it into its dtype's typed array
 * would (Math.fround, ToInt32, ToUint8, BigInt.asIntN), so results equal the unfused kernels' bit for bit.
 */

const FUSIBLE_DTYPES: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8", "bool"]);

/** Whether a fused loop computes `type` on `inDType` exactly as the CPU backend's kernel `kernel` does. */
export function cpuCanFuse(type: string, inDType: DType, outDType: DType, kernelIsGenerated: boolean): boolean {
  if (!FUSIBLE_DTYPES.has(inDType) || !FUSIBLE_DTYPES.has(outDType)) return false;
  if (type === "Cast" || type === "SelectV2") return true;
  const ew = getOpSchema(type)?.elementwise;
  if (!ew || !kernelIsGenerated) return false;
  return inDType !== "int64" || ew.jsInt64 !== undefined;
}

/** A value as it reads back after being stored in a typed array of `dtype`. */
function stored(dtype: DType, e: string): string {
  switch (dtype) {
    case "float32":
      return `Math.fround(${e})`;
    case "float64":
      return `(+(${e}))`;
    case "int32":
      return `((${e}) | 0)`;
    case "uint8":
    case "bool":
      return `((${e}) & 255)`;
    case "int64":
      return `BigInt.asIntN(64, ${e})`;
    default:
      throw new InternalError(`fused loop: no storage rule for ${dtype}`);
  }
}

/** TensorFlow's cast as the CPU kernel (castValues) computes it, on one value `v` (before storing). */
function castExpr(from: DType, to: DType, v: string): string {
  if (to === "bool") return `(${v} != 0 ? 1 : 0)`;
  if (to === "int64") return from === "int64" ? v : `(Number.isFinite(${v}) ? BigInt(Math.trunc(${v})) : 0n)`;
  if (from === "int64") return `Number(${v})`;
  if (to === "int32" || to === "uint8") return `Math.trunc(${v})`;
  return v;
}

/** `expr` with its operand names (a, b or x) replaced by variables. */
function substitute(expr: string, names: Readonly<Record<string, string>>): string {
  return expr.replace(/(?<![\w.$])([abx])(?![\w$])/g, (m) => names[m] ?? m);
}

function opExpr(op: FusedOp, operands: readonly string[]): string {
  if (op.type === "Cast") return castExpr(op.inDType, op.outDType, operands[0]);
  if (op.type === "SelectV2") return `(${operands[0]} ? ${operands[1]} : ${operands[2]})`;
  const ew = getOpSchema(op.type)?.elementwise;
  if (!ew) throw new InternalError(`fused loop: ${op.type} is not elementwise`);
  const names: Record<string, string> = operands.length === 2 ? { a: operands[0], b: operands[1] } : { x: operands[0] };
  return `(${substitute(exprFor(ew, op.inDType, op.type), names)})`;
}

/** Computes O[o0 .. o0+len) from input k at bases[k] (+ j where it steps along the run). */
type RunLoop = (ins: readonly Values[], o: Values, o0: number, len: number, bases: readonly number[]) => void;

const loops = new Map<string, RunLoop>();

/** The loop of a program for one pattern of inputs stepping (1) or fixed (0) along a run. */
function runLoop(p: FusedProgram, steps: readonly number[]): RunLoop {
  const key = `${p.key}#${steps.join("")}`;
  let f = loops.get(key);
  if (f) return f;
  const head: string[] = [];
  const body: string[] = [];
  p.inputDTypes.forEach((_, k) => {
    head.push(`const I${k} = ins[${k}], b${k} = bases[${k}];`);
    if (steps[k] === 0) head.push(`const x${k} = I${k}[b${k}];`);
    else body.push(`const x${k} = I${k}[b${k} + j];`);
  });
  const ref = (a: number) => (a < 0 ? `x${-1 - a}` : `t${a}`);
  const last = p.ops.length - 1;
  p.ops.forEach((op, i) => {
    const e = opExpr(op, op.args.map(ref));
    // The result is stored by the typed array itself; intermediates are converted as a store would.
    body.push(i === last ? `O[o0 + j] = ${e};` : `const t${i} = ${stored(op.outDType, e)};`);
  });
  const src = `"use strict";\n${head.join("\n")}\nfor (let j = 0; j < len; j++) {\n${body.join("\n")}\n}`;
  f = new Function("ins", "O", "o0", "len", "bases", src) as RunLoop;
  loops.set(key, f);
  return f;
}

/** Runs program `p` over `inputs` (host values with shapes) into a new array of `shape`. */
export function runFusedCpu(p: FusedProgram, inputs: readonly { values: Values; shape: readonly number[] }[], shape: readonly number[]): Values {
  const n = sizeOf(shape);
  const outD = p.ops[p.ops.length - 1].outDType;
  const o = allocOutput(outD, n);
  if (n === 0) return o;
  const { dims, strides } = collapseDims(
    shape,
    inputs.map((x) => x.shape),
  );
  const ins = inputs.map((x) => x.values);
  const r = dims.length;
  if (r === 0) {
    runLoop(
      p,
      inputs.map(() => 0),
    )(
      ins,
      o,
      0,
      1,
      inputs.map(() => 0),
    );
    return o;
  }
  const inner = dims[r - 1];
  const loop = runLoop(
    p,
    strides.map((s) => s[r - 1]),
  );
  const bases = inputs.map(() => 0);
  const rows = n / inner;
  const idx = new Array<number>(r).fill(0);
  for (let row = 0; row < rows; row++) {
    loop(ins, o, row * inner, inner, bases);
    // Odometer over the outer dims: each input's offset moves by its stride there.
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < bases.length; k++) bases[k] += strides[k][d];
      if (idx[d] < dims[d]) break;
      for (let k = 0; k < bases.length; k++) bases[k] -= strides[k][d] * dims[d];
      idx[d] = 0;
    }
  }
  return o;
}
