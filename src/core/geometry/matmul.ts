import { InvalidArgumentError } from "../errors.js";
import { broadcastShapes, Dim, Shape, shapeStr } from "../shape.js";

/**
 * Matrix-product geometry shared by shape inference (dims may be unknown, null) and the kernels (all
 * known): op(a) is [.., m, k] and op(b) is [.., k, n], where op transposes the last two dims.
 */
export interface MatmulDims<D extends Dim> {
  readonly m: D;
  /** The contracted dim as `a` has it, and as `b` has it (equal in a valid product). */
  readonly ka: D;
  readonly kb: D;
  readonly n: D;
}

export function matmulDims<D extends Dim>(a: readonly D[], b: readonly D[], ta: boolean, tb: boolean): MatmulDims<D> {
  const ra = a.length;
  const rb = b.length;
  return { m: a[ta ? ra - 1 : ra - 2], ka: a[ta ? ra - 2 : ra - 1], kb: b[tb ? rb - 1 : rb - 2], n: b[tb ? rb - 2 : rb - 1] };
}

/** The output shape of MatMul (`batched` false: rank 2 only) or BatchMatMulV2 (batch dims broadcast), checked as TensorFlow checks it. */
export function matmulShape(a: Shape, b: Shape, ta: boolean, tb: boolean, batched: boolean): Shape {
  if (a === null || b === null) return null;
  const ra = a.length;
  const rb = b.length;
  if (!batched && (ra !== 2 || rb !== 2)) {
    throw new InvalidArgumentError(`In[0] and In[1] must be matrices (rank 2), got ${shapeStr(a)} and ${shapeStr(b)}`);
  }
  if (batched && (ra < 2 || rb < 2)) {
    throw new InvalidArgumentError(`In[0] and In[1] must have rank >= 2, got ${shapeStr(a)} and ${shapeStr(b)}`);
  }
  const { m, ka, kb, n } = matmulDims(a, b, ta, tb);
  if (ka !== null && kb !== null && ka !== kb) {
    throw new InvalidArgumentError(
      `Matrix size-incompatible: In[0]: ${shapeStr(a)}, In[1]: ${shapeStr(b)}${ta || tb ? ` (transpose_a=${ta}, transpose_b=${tb})` : ""}`,
    );
  }
  let batch: Dim[] = [];
  if (batched) {
    const bs = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
    if (bs === "incompatible" || bs === null) {
      throw new InvalidArgumentError(`In[0] and In[1] must have compatible batch dimensions: ${shapeStr(a)} vs. ${shapeStr(b)}`);
    }
    batch = bs;
  }
  return [...batch, m, n];
}
