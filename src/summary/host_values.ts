/**
 * A summary's data read to the host: the values of a tensor, variable, number or nested array, run eagerly
 * (summaries are written at call time). Graph tensors have no value outside a session: they are the TF1
 * path's business (tf.compat.v1.summary), so here they are an error naming what to do.
 */
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { convertToTensor } from "../ops/creation.js";

export interface HostData {
  readonly dtype: DType;
  readonly shape: number[];
  readonly values: Values;
}

export function hostData(x: unknown, where: string): HostData {
  let t: Tensor;
  try {
    t = convertToTensor(x as Parameters<typeof convertToTensor>[0]);
  } catch (e) {
    throw new InvalidArgumentError(`${where}: the data cannot be converted to a tensor (${(e as Error).message})`);
  }
  if (t.shape === null || t.shape.some((d) => d === null)) {
    throw new InvalidArgumentError(`${where}: the data is a graph tensor (shape ${JSON.stringify(t.shape)}); record it with tf.compat.v1.summary in a graph`);
  }
  return { dtype: t.dtype, shape: t.shape as number[], values: t.dataSync() };
}

/** Numbers of any numeric dtype (int64 values are bigints). */
export function asNumbers(h: HostData, where: string): Float64Array {
  if (h.dtype === "string") throw new InvalidArgumentError(`${where}: expected numbers, got dtype string`);
  const out = new Float64Array(h.values.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(h.values[i] as number | bigint | boolean);
  return out;
}
