import { create } from "@bufbuild/protobuf";
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import type { AttrType, AttrValue } from "../core/schema/types.js";
import { dtypeFromProto, dtypeToProto } from "../io/dtype_proto.js";
import { shapeFromProto, shapeToProto, tensorFromProto, tensorToProto } from "../io/tensor_proto.js";
import { type AttrValue as AttrValueProto, AttrValueSchema } from "../proto/tensorflow/core/framework/attr_value_pb.js";

/**
 * One attr of a node, tsflow's JS form <-> TensorFlow's AttrValue, by the attr's declared type (the op
 * table's AttrDef.type, TensorFlow's own names: "int", "list(shape)", ...). Const's value is handled by the
 * GraphDef code itself, since tsflow keeps a Const's shape apart from its values; other tensor attrs are
 * { dtype, shape, values }.
 */

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function attrToProto(type: AttrType, v: AttrValue, what: string): AttrValueProto {
  switch (type) {
    case "type":
      return create(AttrValueSchema, { value: { case: "type", value: dtypeToProto(v as DType) } });
    case "int":
      return create(AttrValueSchema, { value: { case: "i", value: BigInt(v as number | bigint) } });
    case "float":
      return create(AttrValueSchema, { value: { case: "f", value: v as number } });
    case "bool":
      return create(AttrValueSchema, { value: { case: "b", value: v as boolean } });
    case "string":
      return create(AttrValueSchema, { value: { case: "s", value: utf8.encode(v as string) } });
    case "shape":
      return create(AttrValueSchema, { value: { case: "shape", value: shapeToProto(v as Shape) } });
    case "func":
      // The function's name; its body (a FunctionDef of the library) is not written by asGraphDef.
      return create(AttrValueSchema, { value: { case: "func", value: { name: funcName(v) } } });
    case "list(type)":
      return listProto({ type: Array.from(v as readonly DType[], (d) => dtypeToProto(d)) });
    case "list(int)":
      return listProto({ i: Array.from(v as ArrayLike<number>, (x) => BigInt(x)) });
    case "list(float)":
      return listProto({ f: Array.from(v as ArrayLike<number>) });
    case "list(bool)":
      return listProto({ b: Array.from(v as unknown as ArrayLike<boolean>) });
    case "list(string)":
      return listProto({ s: Array.from(v as readonly string[], (s) => utf8.encode(s)) });
    case "list(shape)":
      return listProto({ shape: (v as unknown as readonly Shape[]).map((s) => shapeToProto(s)) });
    case "tensor": {
      // A tensor attr other than Const's value (ImageSummary's bad_color) is held as { dtype, shape, values }.
      const t = v as unknown as { dtype?: DType; shape?: number[]; values?: Values };
      if (t.dtype === undefined || t.shape === undefined || t.values === undefined) {
        throw new UnimplementedError(`${what}: a tensor attr must be { dtype, shape, values } to be written to a GraphDef`);
      }
      return create(AttrValueSchema, { value: { case: "tensor", value: tensorToProto(t.dtype, t.shape, t.values) } });
    }
    case "list(tensor)":
    case "list(func)":
      throw new UnimplementedError(`${what}: attrs of type ${type} are not written to GraphDefs by tsflow`);
  }
}

function listProto(list: Record<string, unknown[]>): AttrValueProto {
  return create(AttrValueSchema, { value: { case: "list", value: list } });
}

function funcName(v: AttrValue): string {
  const name = v !== null && typeof v === "object" && "name" in v ? (v as { name: unknown }).name : undefined;
  return typeof name === "string" ? name : "";
}

/** The JS value of an AttrValue declared as `type`; a value of another kind is an InvalidArgumentError. */
export function attrFromProto(type: AttrType, p: AttrValueProto, what: string): AttrValue {
  const v = p.value;
  const wrong = (): never => {
    throw new InvalidArgumentError(`${what}: expected an attr of type ${type}, got ${v.case === undefined ? "an empty AttrValue" : `a '${v.case}' value`}`);
  };
  if (type.startsWith("list(")) {
    // An empty list may come as an AttrValue with no value at all.
    if (v.case === undefined) return [];
    if (v.case !== "list") return wrong();
    const l = v.value;
    switch (type) {
      case "list(type)":
        return l.type.map((d) => dtypeFromProto(d, what));
      case "list(int)":
        return l.i.map((x) => toSafeNumber(x, what));
      case "list(float)":
        return l.f.slice();
      case "list(bool)":
        return l.b.slice() as unknown as AttrValue;
      case "list(string)":
        return l.s.map((s) => fromUtf8.decode(s));
      case "list(shape)":
        return l.shape.map((s) => shapeFromProto(s, what)) as unknown as AttrValue;
      default:
        throw new UnimplementedError(`${what}: attrs of type ${type} are not read from GraphDefs by tsflow`);
    }
  }
  switch (type) {
    case "type":
      return v.case === "type" ? dtypeFromProto(v.value, what) : wrong();
    case "int":
      return v.case === "i" ? toSafeNumber(v.value, what) : wrong();
    case "float":
      return v.case === "f" ? v.value : wrong();
    case "bool":
      return v.case === "b" ? v.value : wrong();
    case "string":
      return v.case === "s" ? fromUtf8.decode(v.value) : wrong();
    case "shape":
      return v.case === "shape" ? shapeFromProto(v.value, what) : wrong();
    case "func":
      return v.case === "func" ? { name: v.value.name } : wrong();
    case "tensor":
      return v.case === "tensor" ? (tensorFromProto(v.value, what) as unknown as AttrValue) : wrong();
    default:
      throw new UnimplementedError(`${what}: attrs of type ${type} are not read from GraphDefs by tsflow`);
  }
}

function toSafeNumber(x: bigint, what: string): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${what}: int attr ${x} is out of JavaScript's exact integer range`);
  }
  return Number(x);
}
