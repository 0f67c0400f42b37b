/**
 * tsflow dtypes <-> TensorFlow's DataType enum (types.proto), the dtype field of every TensorProto,
 * BundleEntryProto, AttrValue and TensorInfo that tsflow reads or writes.
 */
import { type DType, DTYPES } from "../core/dtype.js";
import { UnimplementedError } from "../core/errors.js";
import { DataType } from "../proto/tensorflow/core/framework/types_pb.js";

const TO_PROTO: Record<DType, DataType> = {
  float32: DataType.DT_FLOAT,
  float64: DataType.DT_DOUBLE,
  int32: DataType.DT_INT32,
  int64: DataType.DT_INT64,
  uint8: DataType.DT_UINT8,
  bool: DataType.DT_BOOL,
  string: DataType.DT_STRING,
  float16: DataType.DT_HALF,
  bfloat16: DataType.DT_BFLOAT16,
};

const FROM_PROTO = new Map<DataType, DType>(DTYPES.map((d) => [TO_PROTO[d], d]));

export function dtypeToProto(dtype: DType): DataType {
  return TO_PROTO[dtype];
}

/**
 * The tsflow dtype of a DataType; a reference type (`DT_FLOAT_REF`, base + 100, as TF1 graphs carry for
 * variables) maps to its base type. `what` names the file, node or tensor for the error.
 */
export function dtypeFromProto(dt: DataType, what: string): DType {
  const base = dt > 100 ? ((dt - 100) as DataType) : dt;
  const d = FROM_PROTO.get(base);
  if (d === undefined) {
    const name = DataType[dt] ?? `DataType ${dt}`;
    throw new UnimplementedError(`${what}: dtype ${name} is not supported by tsflow (supported: ${DTYPES.join(", ")})`);
  }
  return d;
}
