import type { DType } from "../../../core/dtype.js";
import type { Attrs } from "../../../core/schema/types.js";
import { GRADIENT_INPUT } from "../../../core/schema/training.js";
import { sizeOf } from "../../../core/shape.js";
import type { Handle } from "../../../core/backend.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelDef, CudaKernelTable, GroupCall, KernelContext } from "../kernel.js";
import {
  ADD_GROUP,
  ADD_GROUP_DTYPES,
  addGroupSource,
  GD_GROUP,
  MIXED_ADD,
  MIXED_GD,
  MIXED_GROUP,
  MIXED_MOMENTUM,
  MOMENTUM_GROUP,
  trainingSource,
} from "../sources/training.js";
import { byInputDType, FLOATS, launchGroups, NARROW } from "./util.js";

/**
 * The training family on the GPU: ApplyGradientDescent (also grouped), ApplyMomentum, ApplyAdam, for float32,
 * float64 and (computed in float32) float16 and bfloat16 variables. A float32 variable's update also takes a
 * float16 or bfloat16 gradient (the module's G type), widened exactly as it is loaded: what a Session plan
 * gives it once its cast-folding pass (runtime/cast_updates.ts) has dropped the gradient's Cast to float32.
 * Sources: sources/training.ts.
 */

/** The input dtypes an update of this kind takes: one float type throughout, or float32 with a 16-bit gradient. */
function updateDTypes(grad: number) {
  return (d: readonly DType[]) =>
    (FLOATS.has(d[0]) || NARROW.has(d[0])) && d.every((x, i) => x === d[0] || (i === grad && d[0] === "float32" && NARROW.has(x)));
}

/** The compiled module of a variable dtype and a gradient dtype (`train.<dtype>` when they are one). */
const moduleKey = (v: DType, g: DType) => (g === v ? `train.${v}` : `train.${v}.${g}`);

function trainingKernel(name: "gd" | "momentum" | "adam", nIn: number, nOut: number, grad: number): CudaKernelDef {
  return {
    supports: updateDTypes(grad),
    run: (b, ins, attrs) => {
      const v = ins[0];
      // Shapes must match the variable's exactly; anything else is for the CPU kernel to report.
      const big = name === "gd" ? [0, 2] : name === "momentum" ? [0, 1, 3] : [0, 1, 2, 9];
      if (ins.length !== nIn || big.some((i) => ins[i].shape.join(",") !== v.shape.join(","))) return null;
      const n = sizeOf(v.shape);
      // The updated variables (and slots) are outputs 0..nOut-1 and inputs 0..nOut-1, shaped alike; each input
      // handle is the executor's own alias of the variable.
      const outs = Array.from({ length: nOut }, (_, k) => b.inPlace(ins[k], 1) ?? b.empty(v.dtype, v.shape, name));
      if (n === 0) return outs;
      const g = ins[grad].dtype;
      const fn = b.fn(moduleKey(v.dtype, g), name, () => trainingSource(v.dtype, g));
      for (const h of ins) b.ctx.argPtr(h.ptr);
      for (const o of outs) b.ctx.argPtr(o.ptr);
      if (name === "momentum") b.ctx.argI32(attrs.use_nesterov ? 1 : 0);
      b.ctx.argI64(n);
      b.launch(fn, b.grid(n));
      return outs;
    },
    runGroup: name === "gd" ? gdGroup : name === "momentum" ? momentumGroup : undefined,
  };
}

/**
 * ApplyGradientDescent on many variables sharing one learning rate: one launch per GD_GROUP variables of one
 * delta dtype instead of one each. null (the caller updates them one by one) unless every item is [var,
 * alpha, delta] with the same alpha buffer, one variable dtype, deltas of it (or 16-bit deltas of float32
 * variables) shaped like their variables.
 */
function gdGroup(b: KernelContext, items: readonly CudaHandle[][]): Handle[][] | null {
  if (items.length === 0) return [];
  if (!gdGroupable(items)) return null;
  const alpha = items[0][1];
  const dtype = items[0][0].dtype;
  const outs = items.map((it) => [b.inPlace(it[0], 1) ?? b.empty(dtype, it[0].shape, "gd")]);
  // One module per delta dtype: float32 deltas, or folded 16-bit ones.
  for (const [grad, ks] of byInputDType(items, 2)) {
    const fn = b.fn(moduleKey(dtype, grad), "gd_group", () => trainingSource(dtype, grad));
    launchGroups(
      ks,
      GD_GROUP,
      (k) => [items[k][0].ptr, items[k][2].ptr, (outs[k][0] as CudaHandle).ptr],
      (k) => sizeOf(items[k][0].shape),
      (count, words, total) => {
        b.ctx.argPtr(alpha.ptr).argI32(count).argI64s(words);
        b.launch(fn, b.grid(total));
      },
    );
  }
  return outs;
}

/**
 * ApplyMomentum on many variables sharing one learning rate and one momentum (the same buffers): one launch
 * per MOMENTUM_GROUP variables of one gradient dtype, each output [var, accum] in place where it may be. null
 * (the caller updates them one by one) unless every item is [var, accum, lr, grad, momentum] of one variable
 * dtype, accum and grad shaped like var.
 */
function momentumGroup(b: KernelContext, items: readonly CudaHandle[][], attrs: Attrs): Handle[][] | null {
  if (items.length === 0) return [];
  if (!momentumGroupable(items)) return null;
  const [lr, mom] = [items[0][2], items[0][4]];
  const dtype = items[0][0].dtype;
  const outs = items.map((it) => [0, 1].map((k) => b.inPlace(it[k], 1) ?? b.empty(dtype, it[0].shape, "momentum")));
  for (const [grad, ks] of byInputDType(items, 3)) {
    const fn = b.fn(moduleKey(dtype, grad), "momentum_group", () => trainingSource(dtype, grad));
    launchGroups(
      ks,
      MOMENTUM_GROUP,
      (k) => [items[k][0].ptr, items[k][1].ptr, items[k][3].ptr, (outs[k][0] as CudaHandle).ptr, (outs[k][1] as CudaHandle).ptr],
      (k) => sizeOf(items[k][0].shape),
      (count, words, total) => {
        b.ctx
          .argPtr(lr.ptr)
          .argPtr(mom.ptr)
          .argI32(attrs.use_nesterov ? 1 : 0)
          .argI32(count)
          .argI64s(words);
        b.launch(fn, b.grid(total));
      },
    );
  }
  return outs;
}

/**
 * AddV2 on several [a, b] pairs of equal shapes and dtypes (float32, float64, int32, int64; the dtype may
 * differ between pairs) in one launch per ADD_GROUP pairs: the grouped AssignAdds of a Session plan
 * (runtime/grouped_updates.ts). null (the caller adds them one by one) for any other pair.
 */
export function addGroup(b: KernelContext, items: readonly CudaHandle[][]): Handle[][] | null {
  if (!addGroupable(items)) return null;
  const outs = items.map((it) => [addOutput(b, it)]);
  const fn = b.fn("add_group", "add_group", addGroupSource);
  launchGroups(
    items.map((_, k) => k),
    ADD_GROUP,
    (k) => [items[k][0].ptr, items[k][1].ptr, (outs[k][0] as CudaHandle).ptr, ADD_GROUP_DTYPES.indexOf(items[k][0].dtype)],
    (k) => sizeOf(items[k][0].shape),
    (count, words, total) => {
      b.ctx.argI32(count).argI64s(words);
      b.launch(fn, b.grid(total));
    },
  );
  return outs;
}

const sameShape = (a: CudaHandle, b: CudaHandle) => a.shape.join(",") === b.shape.join(",");

/** Every item [var, alpha, delta] with the same alpha buffer, one variable dtype, a delta shaped like its variable. */
function gdGroupable(items: readonly CudaHandle[][]): boolean {
  const [alpha, dtype] = [items[0][1], items[0][0].dtype];
  const takes = updateDTypes(GRADIENT_INPUT.get("ApplyGradientDescent")!);
  return items.every((it) => it.length === 3 && it[1].ptr === alpha.ptr && it[0].dtype === dtype && takes(it.map((h) => h.dtype)) && sameShape(it[0], it[2]));
}

/** Every item [var, accum, lr, grad, momentum] with the same lr and momentum buffers, one variable dtype, accum and grad shaped like var. */
function momentumGroupable(items: readonly CudaHandle[][]): boolean {
  const [lr, mom, dtype] = [items[0][2], items[0][4], items[0][0].dtype];
  const takes = updateDTypes(GRADIENT_INPUT.get("ApplyMomentum")!);
  return items.every(
    (it) =>
      it.length === 5 &&
      it[2].ptr === lr.ptr &&
      it[4].ptr === mom.ptr &&
      it[0].dtype === dtype &&
      takes(it.map((h) => h.dtype)) &&
      sameShape(it[0], it[1]) &&
      sameShape(it[0], it[3]),
  );
}

/** Every item [a, b] of one dtype add_group takes, shaped alike. */
function addGroupable(items: readonly CudaHandle[][]): boolean {
  return items.every((it) => it.length === 2 && it[0].dtype === it[1].dtype && ADD_GROUP_DTYPES.includes(it[0].dtype) && sameShape(it[0], it[1]));
}

/** The executor passes the variables' values it holds themselves (no alias of its own): in place where nothing else holds them. */
const addOutput = (b: KernelContext, it: readonly CudaHandle[]) => b.inPlace(it[0], 0) ?? b.empty(it[0].dtype, it[0].shape, "add_group");

/**
 * An optimizer's grouped updates (ApplyGradientDescent or ApplyMomentum, as gdGroup and momentumGroup take
 * them, of one gradient dtype) and grouped additions (AddV2, as addGroup takes them: a Keras step's loss
 * tracker, iteration counter and cursor) in one launch per MIXED_GROUP items: where a step would launch one
 * group kernel after the other. null (the caller runs each group alone) for any other combination.
 */
export function mixedUpdateGroups(b: KernelContext, calls: readonly GroupCall[]): Handle[][][] | null {
  if (calls.length !== 2) return null;
  const ui = calls.findIndex((c) => c.type === "ApplyGradientDescent" || c.type === "ApplyMomentum");
  const ai = calls.findIndex((c) => c.type === "AddV2");
  if (ui < 0 || ai < 0) return null;
  const [upd, add] = [calls[ui], calls[ai]];
  const momentum = upd.type === "ApplyMomentum";
  const u = upd.items;
  if (u.length === 0 || add.items.length === 0 || !(momentum ? momentumGroupable(u) : gdGroupable(u)) || !addGroupable(add.items)) return null;
  const gradIn = momentum ? 3 : 2;
  const grads = byInputDType(u, gradIn);
  if (grads.size !== 1) return null;
  const dtype = u[0][0].dtype;
  const grad = u[0][gradIn].dtype;
  const updOuts = u.map((it) => (momentum ? [0, 1] : [0]).map((k) => b.inPlace(it[k], 1) ?? b.empty(dtype, it[0].shape, upd.type)));
  const addOuts = add.items.map((it) => [addOutput(b, it)]);
  const n = u.length;
  const ptr = (h: Handle) => (h as CudaHandle).ptr;
  const fn = b.fn(moduleKey(dtype, grad), "update_mixed", () => trainingSource(dtype, grad));
  const [lr, mom] = momentum ? [u[0][2], u[0][4]] : [u[0][1], null];
  launchGroups(
    Array.from({ length: n + add.items.length }, (_, k) => k),
    MIXED_GROUP,
    (k) => {
      if (k >= n) {
        const it = add.items[k - n];
        return [it[0].ptr, it[1].ptr, 0, ptr(addOuts[k - n][0]), 0, MIXED_ADD + ADD_GROUP_DTYPES.indexOf(it[0].dtype)];
      }
      const it = u[k];
      return momentum
        ? [it[0].ptr, it[1].ptr, it[3].ptr, ptr(updOuts[k][0]), ptr(updOuts[k][1]), MIXED_MOMENTUM]
        : [it[0].ptr, it[2].ptr, 0, ptr(updOuts[k][0]), 0, MIXED_GD];
    },
    (k) => sizeOf((k >= n ? add.items[k - n] : u[k])[0].shape),
    (count, words, total) => {
      b.ctx
        .argPtr(lr.ptr)
        .argPtr(mom ? mom.ptr : 0)
        .argI32(upd.attrs.use_nesterov ? 1 : 0)
        .argI32(count)
        .argI64s(words);
      b.launch(fn, b.grid(total));
    },
  );
  const outs: Handle[][][] = [];
  outs[ui] = updOuts;
  outs[ai] = addOuts;
  return outs;
}

export const trainingKernels: CudaKernelTable = {
  ApplyGradientDescent: trainingKernel("gd", 3, 1, GRADIENT_INPUT.get("ApplyGradientDescent")!),
  ApplyMomentum: trainingKernel("momentum", 5, 2, GRADIENT_INPUT.get("ApplyMomentum")!),
  ApplyAdam: trainingKernel("adam", 10, 3, GRADIENT_INPUT.get("ApplyAdam")!),
};
