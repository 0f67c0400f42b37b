import assert from "node:assert/strict";
import { test } from "node:test";
import { DTYPES } from "../src/core/dtype.js";
import { dtypeFromProto, dtypeToProto } from "../src/io/dtype_proto.js";
import * as tf from "../src/index.js";

test("every tsflow dtype round-trips through TensorFlow's DataType numbers", () => {
  for (const d of DTYPES) assert.equal(dtypeFromProto(dtypeToProto(d), "t"), d);
  assert.equal(dtypeToProto("float32"), 1);
  assert.equal(dtypeToProto("int64"), 9);
  assert.equal(dtypeToProto("float16"), 19);
  assert.equal(dtypeFromProto(101, "W"), "float32", "DT_FLOAT_REF is float32");
});

test("a DataType tsflow lacks is an UnimplementedError naming it and the tensor", () => {
  assert.throws(
    () => dtypeFromProto(8, "model.index: x"),
    (e: Error) => e instanceof tf.errors.UnimplementedError && /DT_COMPLEX64/.test(e.message) && /x/.test(e.message),
  );
});
