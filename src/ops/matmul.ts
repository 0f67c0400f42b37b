import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1 } from "./dispatch.js";
import { defineGradients } from "./registry.js";
import { unbroadcast } from "./grad_util.js";

defineGradients({
  MatMul: (op, [dy]) => {
    const [a, b] = op.inputs;
    const ta = op.attrs.transpose_a as boolean;
    const tb = op.attrs.transpose_b as boolean;
    const [needA, needB] = [op.needsGradient?.[0] !== false, op.needsGradient?.[1] !== false];
    const da = () =>
      !ta && !tb
        ? matmul(dy, b, { transposeB: true })
        : !ta
          ? matmul(dy, b)
          : !tb
            ? matmul(b, dy, { transposeB: true })
            : matmul(b, dy, { transposeA: true, transposeB: true });
    const db = () =>
      !ta && !tb
        ? matmul(a, dy, { transposeA: true })
        : !ta
          ? matmul(dy, a, { transposeA: true })
          : !tb
            ? matmul(a, dy)
            : matmul(dy, a, { transposeA: true, transposeB: true });
    return [needA ? da() : null, needB ? db() : null];
  },
  BatchMatMulV2: (op, [dy]) => {
    const [a, b] = op.inputs;
    const ta = op.attrs.adj_x as boolean;
    const tb = op.attrs.adj_y as boolean;
    const bmm = (x: Tensor, y: Tensor, adjX: boolean, adjY: boolean) => execute1("BatchMatMulV2", [x, y], { adj_x: adjX, adj_y: adjY });
    let da: Tensor;
    let db: Tensor;
    if (!ta && !tb) [da, db] = [bmm(dy, b, false, true), bmm(a, dy, true, false)];
    else if (!ta && tb) [da, db] = [bmm(dy, b, false, false), bmm(dy, a, true, false)];
    else if (ta && !tb) [da, db] = [bmm(b, dy, false, true), bmm(a, dy, false, false)];
    else [da, db] = [bmm(b, dy, true, true), bmm(dy, a, true, true)];
    return [unbroadcast(da, a), unbroadcast(db, b)];
  },
});

const B = <N extends string>(name: N, doc: string) => withDefault(name, K.boolean, false, doc);
const matmulSignature = signature(
  "linalg.matmul",
  "The matrix product a·b; rank > 2 multiplies batches of matrices (batch dimensions broadcast).",
  [
    param("a", T.tensor, "A tensor of rank >= 2."),
    param("b", T.tensor, "A tensor of the same dtype as a, rank >= 2."),
    B("transposeA", "Transpose a before multiplying."),
    B("transposeB", "Transpose b before multiplying."),
    B("adjointA", "Conjugate-transpose a before multiplying (a transpose here: no complex dtypes)."),
    B("adjointB", "Conjugate-transpose b before multiplying (a transpose here: no complex dtypes)."),
    B("aIsSparse", "A hint TensorFlow uses to pick a sparse kernel; it does not change the result, and is ignored here."),
    B("bIsSparse", "A hint TensorFlow uses to pick a sparse kernel; it does not change the result, and is ignored here."),
    optional("outputType", kind<DType | null>("DType | null"), "TensorFlow allows it only for int8 inputs; here it must be absent or the inputs' dtype."),
    NAME,
  ],
  {
    args: () => [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      true,
    ],
  },
);

/** The rank of a matmul operand: a tensor's, or a nested JS array's depth; null when unknown. */
function rank(x: TensorLike): number | null {
  if (typeof x !== "object" || x === null) return 0;
  if ("shape" in x && !Array.isArray(x) && !ArrayBuffer.isView(x)) {
    const s = (x as { shape: readonly unknown[] | null }).shape;
    return s === null ? null : s.length;
  }
  // A nested JS array: its depth.
  let r = 0;
  for (let v: unknown = x; Array.isArray(v) || ArrayBuffer.isView(v); v = (v as ArrayLike<unknown>)[0]) {
    r++;
    if ((v as ArrayLike<unknown>).length === 0) break;
  }
  return r;
}

/**
 * tf.matmul(a, b, transpose_a, transpose_b, adjoint_a, adjoint_b, a_is_sparse, b_is_sparse, output_type,
 * name): rank-2 inputs make a MatMul node, higher ranks a BatchMatMulV2 with broadcast batch dims, as in
 * TensorFlow. Adjoints are transposes (no complex dtypes).
 */
export const matmul = defineFunction(matmulSignature, (a, b, transposeA, transposeB, adjointA, adjointB, _aIsSparse, _bIsSparse, outputType, name): Tensor => {
  if (transposeA && adjointA) throw new InvalidArgumentError("Only one of transpose_a and adjoint_a can be True.");
  if (transposeB && adjointB) throw new InvalidArgumentError("Only one of transpose_b and adjoint_b can be True.");
  const ta = Boolean(transposeA || adjointA);
  const tb = Boolean(transposeB || adjointB);
  const ra = rank(a);
  const rb = rank(b);
  if (outputType != null) {
    const dt =
      [a, b].map((x) => (typeof x === "object" && x !== null && "dtype" in x ? (x as { dtype: DType }).dtype : null)).find((d) => d !== null) ?? "float32";
    if (outputType !== dt)
      throw new InvalidArgumentError(`matmul: output_type ${outputType} is only supported for int8 inputs in TensorFlow; the inputs here are ${dt}`);
  }
  // As in TensorFlow, an input of unknown rank also takes the batched op.
  if (ra === null || ra > 2 || rb === null || rb > 2) {
    return execute1("BatchMatMulV2", [a, b], { adj_x: ta, adj_y: tb }, name ?? "MatMul");
  }
  return execute1("MatMul", [a, b], { transpose_a: ta, transpose_b: tb }, name ?? "MatMul");
});
