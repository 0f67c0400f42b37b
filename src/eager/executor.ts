import type { Backend, KernelEnv } from "../core/backend.js";
import type { Attrs } from "../core/schema/types.js";
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { isFullyDefined } from "../core/shape.js";
import { checkAllocation, checkDims } from "../core/shape_check.js";
import { Tensor } from "../core/tensor.js";
import { isTensorConvertible, TensorLike } from "../core/tensor_like.js";
import { HostValue, toValues } from "../core/values.js";
import { defaultBackend } from "../core/devices.js";
import { logEagerPlacement, placeConstant, placeEager, runKernelOn } from "../backends/placement.js";
import { normalizeAttrs } from "../core/schema/attrs.js";
import { profiling, recordKernel } from "../core/profiler.js";
import { checkAllowed, resolveDTypes, withOpContext } from "../ops/dispatch.js";
import type { OpExecutor } from "../ops/executor.js";
import { eagerRandomSource } from "../ops/random_state.js";
import type { OpDef } from "../ops/registry.js";
import type { TensorSpec } from "../core/schema/types.js";
import { recordOperation } from "./tape.js";
import { EagerTensor } from "./tensor.js";

/** An eager tensor for any input; JS values are written to `backend` (the CPU unless given). */
export function toEagerTensor(x: TensorLike, dtype: DType, op: string, backend?: Backend): EagerTensor {
  if (x instanceof EagerTensor) return x;
  if (isTensorConvertible(x)) return x.readForOp() as EagerTensor;
  if (x instanceof Tensor) {
    throw new InvalidArgumentError(
      `${op}: got the graph tensor ${x.name} while executing eagerly; build it inside its graph's asDefault() and run it with a Session`,
    );
  }
  const { values, shape } = toValues(x as HostValue, dtype);
  return new EagerTensor((backend ?? defaultBackend()).write(values, dtype, shape));
}

function executeEager(def: OpDef, inputs: readonly TensorLike[], attrs: Attrs, name: string | undefined): EagerTensor[] {
  const opName = name ?? def.name ?? def.type;
  const suffix = ` [Op:${def.type}]${name ? ` name: ${name}` : ""}`;
  let dtypes: DType[];
  try {
    attrs = normalizeAttrs(def, attrs, opName);
    dtypes = resolveDTypes(def, inputs);
    checkAllowed(def, dtypes, opName);
  } catch (e) {
    return withOpContext(e, suffix);
  }
  // Placement (backends/placement.ts): GPU:0 for ops it has a kernel for, else the CPU; tf.device() scopes.
  let backend: Backend;
  try {
    backend = placeEager(def.type, dtypes, attrs);
  } catch (e) {
    return withOpContext(e, suffix);
  }
  const converted: EagerTensor[] = [];
  const tensors = inputs.map((x, i) => {
    // JS values go straight to the op's device, except host-side inputs (shapes, axes).
    const t = toEagerTensor(x, dtypes[i], def.type, def.hostInputs?.includes(i) ? undefined : backend);
    if (t !== x) converted.push(t);
    return t;
  });
  try {
    const specs: TensorSpec[] = tensors.map((t, i) => ({
      dtype: t.dtype,
      shape: t.shape,
      value: def.hostInputs?.includes(i) ? t.dataSync() : undefined,
    }));
    for (const o of def.infer(specs, attrs, opName)) {
      if (isFullyDefined(o.shape)) checkAllocation(o.shape, o.dtype, opName, backend.deviceType);
      else checkDims(o.shape, opName);
    }
    const env: KernelEnv = def.stateful && "seed" in attrs ? { rng: eagerRandomSource(attrs) } : {};
    logEagerPlacement(def.type, backend);
    const handles = tensors.map((t) => t.handle);
    const outs = (
      profiling
        ? recordKernel(backend, opName, def.type, () => runKernelOn(backend, def.type, handles, attrs, env))
        : runKernelOn(backend, def.type, handles, attrs, env)
    ).map((h) => new EagerTensor(h));
    recordOperation(def, tensors, outs, attrs);
    return outs;
  } catch (e) {
    return withOpContext(e, suffix);
  } finally {
    for (const t of converted) t.dispose();
  }
}

/** Runs ops at once on the placed device's backend and records them on active GradientTapes. */
export const eagerExecutor: OpExecutor = {
  execute: executeEager,
  // Eager constants go where TensorFlow 2 puts them: the tf.device scope's device, else GPU:0 if any.
  constant: (values, dtype, shape) => new EagerTensor(placeConstant(dtype).write(values, dtype, shape)),
  knownValue: (t: Tensor): Values | undefined => (t instanceof EagerTensor ? t.dataSync() : undefined),
  refineShape: () => {},
};
