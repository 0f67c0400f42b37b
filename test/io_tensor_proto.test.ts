import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { shapeFromProto, shapeToProto, tensorFromProto, tensorToProto } from "../src/io/tensor_proto.js";
import { TensorProtoSchema } from "../src/proto/tensorflow/core/framework/tensor_pb.js";
import { DataType } from "../src/proto/tensorflow/core/framework/types_pb.js";
import * as tf from "../src/index.js";

const shape = (...dims: number[]) => ({ dim: dims.map((d) => ({ size: BigInt(d) })) });

test("every tsflow dtype round-trips through TensorProto's binary form", () => {
  const cases: [tf.DType, number[], ArrayLike<unknown>][] = [
    ["float32", [2, 2], new Float32Array([1.5, -2, 3.25, 0])],
    ["float64", [3], new Float64Array([Math.PI, -1e300, 5e-324])],
    ["int32", [2], new Int32Array([-2147483648, 2147483647])],
    ["int64", [2], new BigInt64Array([-(2n ** 63n), 2n ** 62n + 7n])],
    ["uint8", [3], new Uint8Array([0, 128, 255])],
    ["bool", [2], new Uint8Array([1, 0])],
    ["string", [2], ["héllo", ""]],
    ["float16", [4], new Float32Array([1, -0.5, 65504, 2 ** -24])],
    ["bfloat16", [3], new Float32Array([1, -3.5, 2 ** 100])],
  ];
  for (const [dtype, dims, values] of cases) {
    const p = tensorToProto(dtype, dims, values as never);
    const back = tensorFromProto(fromBinary(TensorProtoSchema, toBinary(TensorProtoSchema, p)), dtype);
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, dims);
    assert.deepEqual(Array.from(back.values as ArrayLike<unknown>), Array.from(values), dtype);
  }
});

test("typed *_val fields: the last value repeats, an empty field is zeros, half_val holds 16-bit patterns", () => {
  const p = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: shape(2, 3), floatVal: [1, 2] });
  assert.deepEqual(Array.from(tensorFromProto(p, "c").values as Float32Array), [1, 2, 2, 2, 2, 2]);
  const z = create(TensorProtoSchema, { dtype: DataType.DT_INT64, tensorShape: shape(3) });
  assert.deepEqual(Array.from(tensorFromProto(z, "z").values as BigInt64Array), [0n, 0n, 0n]);
  const h = create(TensorProtoSchema, { dtype: DataType.DT_HALF, tensorShape: shape(2), halfVal: [0x3c00, 0xc000] });
  assert.deepEqual(Array.from(tensorFromProto(h, "h").values as Float32Array), [1, -2]);
  const bf = create(TensorProtoSchema, { dtype: DataType.DT_BFLOAT16, tensorShape: shape(1), halfVal: [0x3f80] });
  assert.deepEqual(Array.from(tensorFromProto(bf, "bf").values as Float32Array), [1]);
  const s = create(TensorProtoSchema, { dtype: DataType.DT_STRING, tensorShape: shape(2), stringVal: [new TextEncoder().encode("ab")] });
  assert.deepEqual(tensorFromProto(s, "s").values, ["ab", "ab"]);
  const b = create(TensorProtoSchema, { dtype: DataType.DT_BOOL, tensorShape: shape(), boolVal: [true] });
  assert.deepEqual(Array.from(tensorFromProto(b, "b").values as Uint8Array), [1]);
  const u8 = create(TensorProtoSchema, { dtype: DataType.DT_UINT8, tensorShape: shape(2), intVal: [7, 200] });
  assert.deepEqual(Array.from(tensorFromProto(u8, "u").values as Uint8Array), [7, 200]);
});

test("a hostile TensorProto is an InvalidArgumentError, not an allocation", () => {
  const isInvalid = (re: RegExp) => (e: Error) => e instanceof tf.errors.InvalidArgumentError && re.test(e.message);
  const huge = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: shape(1 << 20, 1 << 20), floatVal: [1] });
  assert.throws(() => tensorFromProto(huge, "node big"), isInvalid(/node big.*claims/));
  const wrongBytes = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: shape(4), tensorContent: new Uint8Array(12) });
  assert.throws(() => tensorFromProto(wrongBytes, "w"), isInvalid(/12 bytes.*needs 16/));
  const tooMany = create(TensorProtoSchema, { dtype: DataType.DT_INT32, tensorShape: shape(1), intVal: [1, 2] });
  assert.throws(() => tensorFromProto(tooMany, "t"), isInvalid(/int_val has 2 values/));
  const unknown = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: { dim: [{ size: -1n }] } });
  assert.throws(() => tensorFromProto(unknown, "u"), isInvalid(/fully defined/));
  const complex = create(TensorProtoSchema, { dtype: DataType.DT_COMPLEX64, tensorShape: shape() });
  assert.throws(() => tensorFromProto(complex, "cx"), tf.errors.UnimplementedError);
});

test("shapes: unknown rank and unknown dims", () => {
  assert.equal(shapeFromProto(shapeToProto(null), "s"), null);
  assert.deepEqual(shapeFromProto(shapeToProto([null, 3]), "s"), [null, 3]);
  assert.deepEqual(shapeFromProto(shapeToProto([]), "s"), []);
});
