import { DType, tfName } from "../core/dtype.js";
import { InvalidArgumentError, OpError } from "../core/errors.js";
import type { Attrs } from "../core/schema/types.js";
import { Tensor } from "../core/tensor.js";
import { isTensorConvertible, TensorLike } from "../core/tensor_like.js";
import { HostValue, inferDType } from "../core/values.js";
import { currentExecutor } from "./executor.js";
import { getOpDef, OpDef } from "./registry.js";
import type { OpType } from "../core/schema/index.js";

/**
 * Dispatch: every op call comes here, and goes on to the executor of the mode now on (ops/executor.ts):
 * eager/ runs it, graph/ builds a node. This file knows neither; it only finds the op's row.
 */

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

function dtypeOfInput(x: TensorLike): DType | null {
  if (x instanceof Tensor || isTensorConvertible(x)) return x.dtype;
  return null;
}

/** The dtype each input must have: tensors decide their group; JS values follow, as in TensorFlow. */
export function resolveDTypes(def: OpDef, inputs: readonly TensorLike[]): DType[] {
  const out: (DType | null)[] = inputs.map(dtypeOfInput);
  const groups = def.dtypeGroups ?? [];
  for (const group of groups) {
    let want: DType | null = null;
    let first = -1;
    for (const i of group) {
      if (i >= inputs.length) continue;
      const d = out[i];
      if (d === null) continue;
      if (want === null) {
        want = d;
        first = i;
      } else if (d !== want) {
        throw new InvalidArgumentError(
          `cannot compute ${def.type} as input #${i}(zero-based) was expected to be a ${tfName(want)} tensor but is a ${tfName(d)} tensor` +
            ` (input #${first} is ${tfName(want)}; tsflow, like TensorFlow, never converts between dtypes silently: use tf.cast)`,
        );
      }
    }
    for (const i of group) {
      if (i >= inputs.length || out[i] !== null) continue;
      out[i] = want ?? def.inputDTypes?.[i] ?? inferDType(inputs[i] as HostValue);
    }
  }
  return inputs.map((x, i) => out[i] ?? def.inputDTypes?.[i] ?? inferDType(x as HostValue));
}

export function checkAllowed(def: OpDef, dtypes: readonly DType[], name: string): void {
  if (!def.allowedDTypes || dtypes.length === 0) return;
  const idx = def.dtypeGroups?.[0]?.[0] ?? 0;
  const d = dtypes[idx];
  if (!def.allowedDTypes.includes(d)) {
    throw new InvalidArgumentError(
      `Value for attr 'T' of ${d} is not in the list of allowed values: ${def.allowedDTypes.join(", ")} ; NodeDef: {{node ${name}}}; Op<name=${def.type}>`,
    );
  }
}

/** Runs or builds op `type`: eagerly when executing eagerly, else as a node of the default graph. */
export function execute(type: OpType, inputs: readonly TensorLike[], attrs: Attrs = {}, name?: string): Tensor[] {
  const def = getOpDef(type);
  if (!def) throw new InvalidArgumentError(`Op type not registered '${type}'`);
  if (def.hostInputs) for (const i of def.hostInputs) if (i < inputs.length) checkHostValue(def, i, inputs[i]);
  return currentExecutor().execute(def, inputs, attrs, name);
}

/**
 * A JS value given for an input that shape inference reads (a shape, axes, multiples, paddings): every
 * number an integer of the input's index dtype, so that 2**34 or 1.5 never wraps or truncates into a shape.
 */
function checkHostValue(def: OpDef, i: number, x: TensorLike): void {
  if (typeof x === "object" && x !== null && !Array.isArray(x)) return;
  const dtype = def.inputDTypes?.[i] ?? "int32";
  if (dtype !== "int32" && dtype !== "int64") return;
  const bound = dtype === "int32" ? 2 ** 31 : 2 ** 63;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const e of v) visit(e);
    } else if (typeof v === "number" && !(Number.isInteger(v) && v >= -bound && v < bound)) {
      const what = def.inputNames?.[i] ?? `input ${i}`;
      throw new InvalidArgumentError(`${def.type}: ${what} must hold ${dtype} integers, got ${v} [Op:${def.type}]`);
    }
  };
  visit(x);
}

export function execute1(type: OpType, inputs: readonly TensorLike[], attrs: Attrs = {}, name?: string): Tensor {
  return execute(type, inputs, attrs, name)[0];
}

/** Appends where an error happened (the op, or the node) to an op error that does not say yet, and rethrows. */
export function withOpContext(e: unknown, suffix: string): never {
  if (e instanceof OpError && !e.message.includes("[Op:") && !e.message.includes("{{node ")) {
    e.message = `${e.message}${suffix}`;
  }
  throw e;
}
