/**
 * TensorFlow's TensorProto and TensorShapeProto <-> tsflow's host form {dtype, shape, values}: the value of
 * every Const node of a GraphDef, of AttrValue.tensor and of a SignatureDef's defaults.
 *
 * Reading follows TensorFlow's Tensor::FromProto: `tensor_content` holds raw little-endian row-major bytes
 * (its length must be exactly the shape's size times the element size); otherwise the typed field of the
 * dtype holds the values (`float_val`, `int_val` for int32/uint8, `int64_val`, `bool_val`, `half_val` for
 * float16 and bfloat16 bit patterns, `string_val`), and a field shorter than the shape repeats its last
 * value (an empty one means zeros). Sizes are checked before anything is allocated: a proto that claims a
 * huge shape without the data for it is an InvalidArgumentError, not an allocation.
 *
 * float16 and bfloat16 have no host storage of their own in tsflow: their values are widened to a
 * Float32Array on read and rounded to the nearest (even) 16-bit pattern on write.
 */
import { create } from "@bufbuild/protobuf";
import { bytesPerElement, type DType, type Values, zeroValues } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { type TensorProto, TensorProtoSchema } from "../proto/tensorflow/core/framework/tensor_pb.js";
import { type TensorShapeProto, TensorShapeProtoSchema } from "../proto/tensorflow/core/framework/tensor_shape_pb.js";
import { dtypeFromProto, dtypeToProto } from "./dtype_proto.js";
import { bfloat16BitsToFloat, floatToBfloat16Bits, floatToHalfBits, halfBitsToFloat } from "../core/half.js";

/** A tensor's value on the host, as TensorProto carries it. */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: number[];
  readonly values: Values;
}

/**
 * The most elements a typed field may be expanded to by repeating its last value (TensorFlow's compact form
 * of `tf.constant(0.0, shape=[1000, 1000])`): 2^27 (512 MiB of float32). Beyond it the proto must carry
 * the data itself, so that a few bytes cannot ask for gigabytes.
 */
const MAX_EXPANDED_ELEMENTS = 2 ** 27;

/** A static shape from a TensorShapeProto: null for an unknown rank, null dims for -1. */
export function shapeFromProto(p: TensorShapeProto | undefined, what: string): Shape {
  if (p === undefined) return null;
  if (p.unknownRank) return null;
  return p.dim.map((d) => {
    if (d.size < -1n || d.size > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError(`${what}: invalid dimension size ${d.size} in shape`);
    return d.size === -1n ? null : Number(d.size);
  });
}

export function shapeToProto(shape: Shape): TensorShapeProto {
  if (shape === null) return create(TensorShapeProtoSchema, { unknownRank: true });
  return create(TensorShapeProtoSchema, { dim: shape.map((d) => ({ size: d === null ? -1n : BigInt(d) })) });
}

/** A TensorProto's dtype, shape and values; `what` (the node, file or tensor) names it in errors. */
export function tensorFromProto(p: TensorProto, what: string): HostTensor {
  const dtype = dtypeFromProto(p.dtype, what);
  const shapeOrNull = shapeFromProto(p.tensorShape, what);
  if (shapeOrNull === null || shapeOrNull.some((d) => d === null)) {
    throw new InvalidArgumentError(`${what}: a TensorProto's shape must be fully defined, got ${JSON.stringify(shapeOrNull)}`);
  }
  const shape = shapeOrNull as number[];
  let size = 1;
  for (const d of shape) size *= d;
  if (!Number.isSafeInteger(size)) throw new InvalidArgumentError(`${what}: shape [${shape.join(",")}] has too many elements`);

  if (p.tensorContent.length > 0) {
    if (dtype === "string") throw new InvalidArgumentError(`${what}: a DT_STRING TensorProto must hold its values in string_val, not tensor_content`);
    const want = size * bytesPerElement(dtype);
    if (p.tensorContent.length !== want) {
      throw new InvalidArgumentError(
        `${what}: tensor_content has ${p.tensorContent.length} bytes, but shape [${shape.join(",")}] of ${dtype} needs ${want} bytes`,
      );
    }
    return { dtype, shape, values: fromContent(dtype, p.tensorContent, size) };
  }

  const field = typedField(p, dtype);
  if (field.length > size) {
    throw new InvalidArgumentError(`${what}: ${fieldName(dtype)} has ${field.length} values, more than the ${size} of shape [${shape.join(",")}]`);
  }
  if (field.length < size && size > MAX_EXPANDED_ELEMENTS) {
    throw new InvalidArgumentError(
      `${what}: shape [${shape.join(",")}] claims ${size} elements but the proto holds ${field.length} values in ${fieldName(dtype)} ` +
        `(tsflow expands a repeated last value up to ${MAX_EXPANDED_ELEMENTS} elements)`,
    );
  }
  return { dtype, shape, values: fromField(dtype, field, size) };
}

/** A TensorProto holding `values` (raw tensor_content for numbers and bools, string_val for strings). */
export function tensorToProto(dtype: DType, shape: readonly number[], values: Values): TensorProto {
  let size = 1;
  for (const d of shape) size *= d;
  if (values.length !== size) throw new InvalidArgumentError(`tensorToProto: ${values.length} values for shape [${shape.join(",")}] (${size} elements)`);
  const p = create(TensorProtoSchema, { dtype: dtypeToProto(dtype), tensorShape: shapeToProto([...shape]) });
  if (size === 0) return p;
  if (dtype === "string") {
    const enc = new TextEncoder();
    p.stringVal = (values as string[]).map((s) => enc.encode(s));
    return p;
  }
  p.tensorContent = toContent(dtype, values);
  return p;
}

function fieldName(dtype: DType): string {
  switch (dtype) {
    case "float32":
      return "float_val";
    case "float64":
      return "double_val";
    case "int32":
    case "uint8":
      return "int_val";
    case "int64":
      return "int64_val";
    case "bool":
      return "bool_val";
    case "string":
      return "string_val";
    case "float16":
    case "bfloat16":
      return "half_val";
  }
}

type Field = readonly number[] | readonly bigint[] | readonly boolean[] | readonly Uint8Array[];
function typedField(p: TensorProto, dtype: DType): Field {
  switch (dtype) {
    case "float32":
      return p.floatVal;
    case "float64":
      return p.doubleVal;
    case "int32":
    case "uint8":
      return p.intVal;
    case "int64":
      return p.int64Val;
    case "bool":
      return p.boolVal;
    case "string":
      return p.stringVal;
    case "float16":
    case "bfloat16":
      return p.halfVal;
  }
}

/** The typed field's values, its last value repeated up to `size` (zeros when it is empty). */
function fromField(dtype: DType, field: Field, size: number): Values {
  const out = zeroValues(dtype, size);
  const n = field.length;
  if (n === 0) return out;
  if (dtype === "string") {
    const dec = new TextDecoder();
    const strs = out as string[];
    const f = field as readonly Uint8Array[];
    for (let i = 0; i < size; i++) strs[i] = dec.decode(f[Math.min(i, n - 1)]);
    return out;
  }
  const conv: (x: number | bigint | boolean) => number | bigint =
    dtype === "bool"
      ? (x) => (x ? 1 : 0)
      : dtype === "float16"
        ? (x) => halfBitsToFloat(Number(x))
        : dtype === "bfloat16"
          ? (x) => bfloat16BitsToFloat(Number(x))
          : dtype === "int64"
            ? (x) => BigInt(x as bigint)
            : (x) => x as number;
  const f = field as readonly (number | bigint | boolean)[];
  const arr = out as { [i: number]: number | bigint; fill(v: number | bigint, start: number): unknown };
  for (let i = 0; i < n; i++) arr[i] = conv(f[i]);
  if (n < size) arr.fill(conv(f[n - 1]), n);
  return out;
}

/** Little-endian raw bytes -> values (copied, so that the result owns an aligned buffer). */
function fromContent(dtype: DType, bytes: Uint8Array, size: number): Values {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "float32": {
      const out = new Float32Array(size);
      for (let i = 0; i < size; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case "float64": {
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case "int32": {
      const out = new Int32Array(size);
      for (let i = 0; i < size; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case "int64": {
      const out = new BigInt64Array(size);
      for (let i = 0; i < size; i++) out[i] = view.getBigInt64(i * 8, true);
      return out;
    }
    case "uint8":
      return bytes.slice();
    case "bool": {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      return out;
    }
    case "float16":
    case "bfloat16": {
      const out = new Float32Array(size);
      const conv = dtype === "float16" ? halfBitsToFloat : bfloat16BitsToFloat;
      for (let i = 0; i < size; i++) out[i] = conv(view.getUint16(i * 2, true));
      return out;
    }
    case "string":
      throw new InvalidArgumentError("string tensors have no tensor_content form");
  }
}

function toContent(dtype: DType, values: Values): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * bytesPerElement(dtype));
  const view = new DataView(out.buffer);
  switch (dtype) {
    case "float32":
      for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i] as number, true);
      break;
    case "float64":
      for (let i = 0; i < n; i++) view.setFloat64(i * 8, values[i] as number, true);
      break;
    case "int32":
      for (let i = 0; i < n; i++) view.setInt32(i * 4, values[i] as number, true);
      break;
    case "int64":
      for (let i = 0; i < n; i++) view.setBigInt64(i * 8, BigInt(values[i] as bigint), true);
      break;
    case "uint8":
    case "bool":
      for (let i = 0; i < n; i++) out[i] = dtype === "bool" ? (values[i] ? 1 : 0) : (values[i] as number);
      break;
    case "float16":
    case "bfloat16": {
      const conv = dtype === "float16" ? floatToHalfBits : floatToBfloat16Bits;
      for (let i = 0; i < n; i++) view.setUint16(i * 2, conv(values[i] as number), true);
      break;
    }
    case "string":
      throw new InvalidArgumentError("string tensors have no tensor_content form");
  }
  return out;
}
