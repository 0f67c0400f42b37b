import { totalmem } from "node:os";
import { bytesPerElement, type DType, tfName } from "./dtype.js";
import { InvalidArgumentError, ResourceExhaustedError } from "./errors.js";
import { getSetting } from "./settings.js";
import { type Dim, shapeStr } from "./shape.js";

/**
 * The checks every shape passes before anything is allocated for it, whichever op or mode made it: dims are
 * non-negative integers below 2^53 (TensorFlow: InvalidArgumentError), and a tensor's bytes fit the host
 * (TensorFlow: ResourceExhaustedError "OOM when allocating tensor", raised before allocating). Called on the
 * shapes shape inference gives, eagerly, when a graph node is built and when it runs with shapes known only then.
 */

/** V8's longest typed array. */
const MAX_ELEMENTS = 2 ** 32;

let limitBytes = -1;
let limitFrom = -1;
/** The largest tensor an op may allocate (the maxTensorMb setting; 0: half the machine's memory). */
function maxTensorBytes(): number {
  const mb = getSetting("maxTensorMb");
  if (mb !== limitFrom) {
    limitFrom = mb;
    limitBytes = mb > 0 ? mb * 2 ** 20 : Math.floor(totalmem() / 2);
  }
  return limitBytes;
}

/** Whether `d` is a valid known dimension. */
function validDim(d: number): boolean {
  return Number.isInteger(d) && d >= 0 && d < 2 ** 53;
}

/** Dims of a static shape (nulls allowed) are non-negative integers whose product stays below 2^53. */
export function checkDims(shape: readonly Dim[] | null, op: string): void {
  if (shape === null) return;
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === null) continue;
    if (!validDim(d)) {
      throw new InvalidArgumentError(`${op}: dimension ${i} of shape ${shapeStr([...shape])} is ${d}; dimensions must be non-negative integers below 2^53`);
    }
    n *= d;
  }
  if (n >= 2 ** 53) throw new InvalidArgumentError(`${op}: shape ${shapeStr([...shape])} would have ${n} elements, more than 2^53 - 1`);
}

/**
 * A tensor of `shape` and `dtype` can be allocated: valid dims, and, in host memory, its bytes within the limit.
 * A GPU's tensors are not typed arrays: there the device allocator refuses what the device cannot hold, before
 * allocating, with TensorFlow's OOM message, and only a maxTensorMb the user set applies. Strings live on the
 * host whatever the device.
 */
export function checkAllocation(shape: readonly number[], dtype: DType, op: string, device: "CPU" | "GPU" = "CPU"): void {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!validDim(d)) checkDims(shape, op);
    n *= d;
  }
  if (n <= 1 << 20) return;
  if (n >= 2 ** 53) checkDims(shape, op);
  const onDevice = device === "GPU" && dtype !== "string";
  if (onDevice && getSetting("maxTensorMb") === 0) return;
  const bytes = n * Math.max(1, bytesPerElement(dtype));
  const limit = maxTensorBytes();
  if ((!onDevice && n > MAX_ELEMENTS) || bytes > limit) {
    throw new ResourceExhaustedError(
      `OOM when allocating tensor with shape${shapeStr([...shape])} and type ${tfName(dtype)} in ${op}: ${bytes} bytes, more than ${!onDevice && n > MAX_ELEMENTS ? `a typed array holds (${MAX_ELEMENTS} elements)` : `the limit of ${limit} bytes (TSFLOW_MAX_TENSOR_MB)`}`,
    );
  }
}
