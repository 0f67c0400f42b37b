import { allocValues, DType, Values } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { broadcastShapes, sameShape, sizeOf } from "../../../core/shape.js";
import { getOpSchema } from "../../../core/schema/index.js";
import { binaryKernel } from "../elementwise_loops.js";
import { aliasOf, CpuKernel, KernelTable, out } from "../kernel.js";
import { broadcastOffsets, castValues, filledValues, ints } from "./util.js";
import { isFloating } from "../../../core/dtype.js";

/**
 * Elementwise kernels written by hand: casts, fills, selection, AddN, and the integer argument checks in
 * front of generated kernels. Every other elementwise op of the op table gets a generated kernel
 * (../elementwise_loops.ts), added by index.ts.
 */

/**
 * An elementwise op's generated kernel behind TensorFlow's integer argument check (FloorDiv/FloorMod by
 * zero, Pow to a negative power): `bad` names a divisor/exponent value the CPU kernel rejects.
 */
function checkedInteger(type: string, bad: (v: number) => boolean, message: string): CpuKernel {
  let generated: CpuKernel | null = null;
  return (inputs, attrs, env) => {
    const [a, b] = inputs;
    if (a.dtype === "int32" || a.dtype === "int64" || a.dtype === "uint8") {
      const bv = b.values as ArrayLike<number | bigint>;
      for (let i = 0; i < bv.length; i++) if (bad(Number(bv[i]))) throw new InvalidArgumentError(message);
    }
    if (!generated) {
      const ew = getOpSchema(type)?.elementwise;
      if (!ew) throw new InvalidArgumentError(`${type} has no elementwise expression`);
      generated = binaryKernel(ew, type, ew.outDType);
    }
    return generated(inputs, attrs, env);
  };
}

/** tf.where's kernel: condition, then and else broadcast together. */
const selectV2: CpuKernel = ([c, t, e]) => {
  const s1 = broadcastShapes(t.shape as number[], e.shape as number[]);
  const s = s1 === "incompatible" ? s1 : broadcastShapes(c.shape as number[], s1);
  if (s === "incompatible" || s === null) throw new InvalidArgumentError(`SelectV2: shapes [${c.shape}], [${t.shape}], [${e.shape}] do not broadcast`);
  const shape = s as number[];
  const cv = c.values as Uint8Array;
  const whole = sameShape(t.shape, shape) && sameShape(e.shape, shape);
  // One condition for everything (loss scaling's skip of a step, train/skip_step.ts): the chosen operand, shared.
  if (whole && cv.length === 1) return [aliasOf(cv[0] ? t : e, shape)];
  const n = sizeOf(shape);
  const o = allocValues(t.dtype, n) as Float64Array;
  if (whole && sameShape(c.shape, shape)) {
    // No broadcasting: no offset tables (building them costs more than the selection).
    const tv = t.values as Float64Array;
    const ev = e.values as Float64Array;
    for (let i = 0; i < n; i++) o[i] = cv[i] ? tv[i] : ev[i];
    return [out(t.dtype, shape, o)];
  }
  const co = broadcastOffsets(c.shape, shape);
  const to = broadcastOffsets(t.shape, shape);
  const eo = broadcastOffsets(e.shape, shape);
  const tv = t.values as Float64Array;
  const ev = e.values as Float64Array;
  for (let i = 0; i < n; i++) o[i] = cv[co[i]] ? tv[to[i]] : ev[eo[i]];
  return [out(t.dtype, shape, o)];
};

export const elementwiseKernels: KernelTable = {
  Cast: ([x], attrs) => [out(attrs.DstT as DType, x.shape, castValues(x.values, x.dtype, attrs.DstT as DType))],
  ZerosLike: ([x]) => [out(x.dtype, x.shape, filledValues(x.dtype, x.values.length, x.dtype === "string" ? "" : 0))],
  OnesLike: ([x]) => [out(x.dtype, x.shape, filledValues(x.dtype, x.values.length, 1))],
  Fill: ([dims, v]) => {
    const shape = ints(dims.values);
    return [out(v.dtype, shape, filledValues(v.dtype, sizeOf(shape), v.values[0] as number))];
  },
  SelectV2: selectV2,
  // Select's row-choosing vector condition is SelectV2's condition of shape [n, 1, ..., 1].
  Select: ([c, t, e], attrs, env) => {
    if (!sameShape([...t.shape], [...e.shape])) throw new InvalidArgumentError(`Select: then [${t.shape}] and else [${e.shape}] must have one shape`);
    const rows = c.shape.length === 1 && t.shape.length > 1 && c.shape[0] === t.shape[0];
    if (c.shape.length > 0 && !rows && !sameShape([...c.shape], [...t.shape])) {
      throw new InvalidArgumentError(
        `Select: condition [${c.shape}] must be a scalar, of the shape [${t.shape}] of then and else, or a vector of its first dim`,
      );
    }
    const cond = rows ? out("bool", [c.shape[0], ...new Array<number>(t.shape.length - 1).fill(1)], c.values) : c;
    return selectV2([cond, t, e], attrs, env);
  },
  FloorDiv: checkedInteger("FloorDiv", (v) => v === 0, "Integer division by zero"),
  FloorMod: checkedInteger("FloorMod", (v) => v === 0, "Integer division by zero"),
  Pow: checkedInteger("Pow", (v) => v < 0, "Integers to negative integer powers are not allowed"),
  AddN: (inputs) => {
    const first = inputs[0];
    const n = first.values.length;
    const o = allocValues(first.dtype, n) as Values;
    if (first.dtype === "int64") {
      const ob = o as BigInt64Array;
      for (const t of inputs) for (let i = 0; i < n; i++) ob[i] += (t.values as BigInt64Array)[i];
    } else if (isFloating(first.dtype)) {
      // Sum in float64, round once.
      const acc = new Float64Array(n);
      for (const t of inputs) {
        const v = t.values as Float64Array;
        for (let i = 0; i < n; i++) acc[i] += v[i];
      }
      (o as Float64Array).set(acc);
    } else {
      const ov = o as Int32Array;
      for (const t of inputs) {
        const v = t.values as Int32Array;
        for (let i = 0; i < n; i++) ov[i] += v[i];
      }
    }
    return [out(first.dtype, first.shape, o)];
  },
};
