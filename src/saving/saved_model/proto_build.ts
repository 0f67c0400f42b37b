/** Small builders of NodeDefs and AttrValues for the graph and functions tf.saved_model.save writes by hand. */
import { create } from "@bufbuild/protobuf";
import type { DType } from "../../core/dtype.js";
import type { Shape } from "../../core/shape.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { shapeToProto } from "../../io/tensor_proto.js";
import { TensorProtoSchema } from "../../proto/tensorflow/core/framework/tensor_pb.js";
import { type AttrValue, AttrValueSchema } from "../../proto/tensorflow/core/framework/attr_value_pb.js";
import { type NodeDef, NodeDefSchema } from "../../proto/tensorflow/core/framework/node_def_pb.js";
import { DataType } from "../../proto/tensorflow/core/framework/types_pb.js";

const utf8 = new TextEncoder();

export const attr = {
  type: (d: DType | DataType): AttrValue => create(AttrValueSchema, { value: { case: "type", value: typeof d === "string" ? dtypeToProto(d) : d } }),
  types: (ds: readonly (DType | DataType)[]): AttrValue =>
    create(AttrValueSchema, { value: { case: "list", value: { type: ds.map((d) => (typeof d === "string" ? dtypeToProto(d) : d)) } } }),
  shape: (s: Shape): AttrValue => create(AttrValueSchema, { value: { case: "shape", value: shapeToProto(s) } }),
  string: (s: string): AttrValue => create(AttrValueSchema, { value: { case: "s", value: utf8.encode(s) } }),
  func: (name: string): AttrValue => create(AttrValueSchema, { value: { case: "func", value: { name } } }),
  /** A string tensor of `strings` (shape [n], or a scalar when `scalar`). */
  strings: (strings: readonly (string | Uint8Array)[], scalar = false): AttrValue =>
    create(AttrValueSchema, {
      value: {
        case: "tensor",
        value: create(TensorProtoSchema, {
          dtype: DataType.DT_STRING,
          tensorShape: shapeToProto(scalar ? [] : [strings.length]),
          stringVal: strings.map((s) => (typeof s === "string" ? utf8.encode(s) : s)),
        }),
      },
    }),
};

export function node(name: string, op: string, input: readonly string[], attrs: Record<string, AttrValue> = {}): NodeDef {
  return create(NodeDefSchema, { name, op, input: [...input], attr: attrs });
}

/** A Const node holding strings. */
export function stringConst(name: string, strings: readonly (string | Uint8Array)[], scalar = false): NodeDef {
  return node(name, "Const", [], { dtype: attr.type("string"), value: attr.strings(strings, scalar) });
}
