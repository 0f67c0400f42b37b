/**
 * A tsflow graph node as a TensorFlow NodeDef: the op table's attrs as AttrValues, plus the type and
 * number attrs that inputs bind (T, N, ...: TensorFlow's OpDef requires them on a NodeDef although tsflow
 * derives them from the inputs). Inputs are left to the caller (GraphDef and FunctionDef name them differently).
 */
import { create } from "@bufbuild/protobuf";
import type { DType, Values } from "../../core/dtype.js";
import { UnimplementedError } from "../../core/errors.js";
import { inputArgs, outputArgs } from "../../core/schema/args.js";
import type { AttrDef, AttrValue as JsAttr } from "../../core/schema/types.js";
import type { Shape } from "../../core/shape.js";
import type { Operation } from "../../graph/operation.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { shapeToProto, tensorToProto } from "../../io/tensor_proto.js";
import { type AttrValue, AttrValueSchema } from "../../proto/tensorflow/core/framework/attr_value_pb.js";

const utf8 = new TextEncoder();

/** The NodeDef attrs of `op` (TensorFlow's names and encodings). */
export function nodeAttrs(op: Operation): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  const where = `node ${op.name} (${op.type})`;
  if (op.type === "Const") {
    const dtype = op.attrs.dtype as DType;
    out.dtype = typeAttr(dtype);
    out.value = create(AttrValueSchema, { value: { case: "tensor", value: tensorToProto(dtype, op.attrs.shape as number[], op.attrs.value as Values) } });
    return out;
  }
  for (const d of op.def.attrs ?? []) {
    const v = op.attrs[d.name];
    if (v === undefined) continue;
    out[d.name] = attrToProto(d, v, where);
  }
  // Type and number attrs bound by the inputs and outputs.
  const ins = inputArgs(op.def);
  let pos = 0;
  ins.forEach((a, i) => {
    const rest = ins.length - i - 1;
    const n = a.numberAttr ? Math.max(0, op.inputs.length - pos - rest) : 1;
    if (a.numberAttr && out[a.numberAttr] === undefined) out[a.numberAttr] = create(AttrValueSchema, { value: { case: "i", value: BigInt(n) } });
    const first = op.inputs[pos];
    if (a.typeAttr && first && out[a.typeAttr] === undefined) out[a.typeAttr] = typeAttr(first.dtype);
    pos += n;
  });
  const outs = outputArgs(op.def);
  if (outs.length === 1 && outs[0].typeAttr && out[outs[0].typeAttr] === undefined && op.outputs.length > 0) {
    out[outs[0].typeAttr] = typeAttr(op.outputs[0].dtype);
  }
  return out;
}

function typeAttr(dtype: DType): AttrValue {
  return create(AttrValueSchema, { value: { case: "type", value: dtypeToProto(dtype) } });
}

function attrToProto(d: AttrDef, v: JsAttr, where: string): AttrValue {
  const a = (value: AttrValue["value"]) => create(AttrValueSchema, { value });
  switch (d.type) {
    case "type":
      return typeAttr(v as DType);
    case "int":
      return a({ case: "i", value: BigInt(v as number) });
    case "float":
      return a({ case: "f", value: v as number });
    case "bool":
      return a({ case: "b", value: v as boolean });
    case "string":
      return a({ case: "s", value: utf8.encode(v as string) });
    case "shape":
      return a({ case: "shape", value: shapeToProto(v as Shape) });
    case "func":
      return create(AttrValueSchema, { value: { case: "func", value: { name: (v as { name: string }).name } } });
    case "list(int)":
      return create(AttrValueSchema, { value: { case: "list", value: { i: [...(v as number[])].map((x) => BigInt(x)) } } });
    case "list(float)":
      return create(AttrValueSchema, { value: { case: "list", value: { f: [...(v as number[])] } } });
    case "list(type)":
      return create(AttrValueSchema, { value: { case: "list", value: { type: (v as DType[]).map(dtypeToProto) } } });
    case "list(string)":
      return create(AttrValueSchema, { value: { case: "list", value: { s: (v as string[]).map((s) => utf8.encode(s)) } } });
    case "list(shape)":
      return create(AttrValueSchema, { value: { case: "list", value: { shape: (v as unknown as Shape[]).map(shapeToProto) } } });
  }
  throw new UnimplementedError(`${where}: attr ${d.name} of type ${d.type} cannot be written to a NodeDef`);
}
