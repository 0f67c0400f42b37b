/**
 * TensorFlow's StructuredValue (struct.proto) <-> JavaScript: how a SavedModel records the arguments a
 * concrete function was traced with and the structure it returns. TensorSpecs become tf.TensorSpec, lists
 * and tuples arrays, dicts and named tuples plain objects, None null.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import { TensorSpec } from "../../function/tensor_spec.js";
import { dtypeFromProto, dtypeToProto } from "../../io/dtype_proto.js";
import { type HostTensor, shapeFromProto, shapeToProto, tensorFromProto } from "../../io/tensor_proto.js";
import { type StructuredValue, StructuredValueSchema } from "../../proto/tensorflow/core/protobuf/struct_pb.js";

/** A Python tuple when written (a JS array is written as a list). */
export class Tuple {
  constructor(readonly values: readonly unknown[]) {}
}

/** A Python named tuple when written (FunctionSpec's FullArgSpec). */
export class NamedTuple {
  constructor(
    readonly name: string,
    readonly fields: readonly (readonly [string, unknown])[],
  ) {}
}

/** A tensor value kept in a structure (an argument's default). */
export class TensorValue {
  constructor(readonly tensor: HostTensor) {}
}

/** A TypeSpec tsflow does not model (VariableSpec, RaggedTensorSpec, ...): kept by name. */
export class UnsupportedSpec {
  constructor(readonly className: string) {}
}

/** The JavaScript form of a StructuredValue; `what` names the function in errors. */
export function decodeStructure(v: StructuredValue | undefined, what: string): unknown {
  if (v === undefined) return null;
  const k = v.kind;
  switch (k.case) {
    case undefined:
    case "noneValue":
      return null;
    case "float64Value":
    case "stringValue":
    case "boolValue":
      return k.value;
    case "int64Value":
      return Number(k.value);
    case "tensorShapeValue":
      return shapeFromProto(k.value, what);
    case "tensorDtypeValue":
      return dtypeFromProto(k.value, what);
    case "tensorSpecValue":
      return new TensorSpec(shapeFromProto(k.value.shape, what), dtypeFromProto(k.value.dtype, what), k.value.name === "" ? undefined : k.value.name);
    case "boundedTensorSpecValue":
      return new TensorSpec(shapeFromProto(k.value.shape, what), dtypeFromProto(k.value.dtype, what), k.value.name === "" ? undefined : k.value.name);
    case "typeSpecValue":
      return new UnsupportedSpec(k.value.typeSpecClassName || String(k.value.typeSpecClass));
    case "listValue":
      return k.value.values.map((x) => decodeStructure(x, what));
    case "tupleValue":
      return k.value.values.map((x) => decodeStructure(x, what));
    case "dictValue": {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(k.value.fields).sort()) out[key] = decodeStructure(k.value.fields[key], what);
      return out;
    }
    case "namedTupleValue": {
      const out: Record<string, unknown> = {};
      for (const p of k.value.values) out[p.key] = decodeStructure(p.value, what);
      return out;
    }
    case "tensorValue":
      return new TensorValue(tensorFromProto(k.value, what));
  }
}

/** The StructuredValue of a JavaScript structure (arrays as lists, Tuple as tuples, objects as dicts). */
export function encodeStructure(x: unknown, what: string): StructuredValue {
  const sv = (kind: MessageInitShape<typeof StructuredValueSchema>["kind"]) => create(StructuredValueSchema, { kind });
  if (x === null || x === undefined) return sv({ case: "noneValue", value: {} });
  if (x instanceof TensorSpec) {
    return sv({ case: "tensorSpecValue", value: { name: x.name ?? "", shape: shapeToProto(x.shape), dtype: dtypeToProto(x.dtype) } });
  }
  if (x instanceof NamedTuple) {
    return sv({ case: "namedTupleValue", value: { name: x.name, values: x.fields.map(([key, v]) => ({ key, value: encodeStructure(v, what) })) } });
  }
  if (x instanceof Tuple) return sv({ case: "tupleValue", value: { values: x.values.map((y) => encodeStructure(y, what)) } });
  if (Array.isArray(x)) return sv({ case: "listValue", value: { values: x.map((y) => encodeStructure(y, what)) } });
  switch (typeof x) {
    case "boolean":
      return sv({ case: "boolValue", value: x });
    case "string":
      return sv({ case: "stringValue", value: x });
    case "number":
      return Number.isInteger(x) ? sv({ case: "int64Value", value: BigInt(x) }) : sv({ case: "float64Value", value: x });
    case "object": {
      const proto = Object.getPrototypeOf(x);
      if (proto !== Object.prototype && proto !== null) break;
      const fields: Record<string, StructuredValue> = {};
      for (const [k, v] of Object.entries(x as Record<string, unknown>)) fields[k] = encodeStructure(v, what);
      return sv({ case: "dictValue", value: { fields } });
    }
  }
  throw new UnimplementedError(
    `${what}: cannot record ${String(x)} in a SavedModel's function signature (tensors, numbers, strings, booleans, arrays and objects can be)`,
  );
}

/** The TensorSpec leaves of a decoded structure, in TensorFlow's flattening order (dict keys sorted). */
export function flattenSpecs(x: unknown, what: string): TensorSpec[] {
  const out: TensorSpec[] = [];
  const walk = (y: unknown) => {
    if (y instanceof TensorSpec) out.push(y);
    else if (Array.isArray(y)) for (const z of y) walk(z);
    else if (y instanceof UnsupportedSpec) throw new UnimplementedError(`${what}: arguments of type ${y.className} are not supported by tsflow`);
    else if (y !== null && typeof y === "object" && !(y instanceof TensorValue)) for (const k of Object.keys(y).sort()) walk((y as Record<string, unknown>)[k]);
  };
  walk(x);
  return out;
}

/** Rebuilds `template` with its TensorSpec leaves replaced by `values` in flattening order. */
export function packLike(template: unknown, values: readonly unknown[], what: string): unknown {
  let i = 0;
  const walk = (y: unknown): unknown => {
    if (y instanceof TensorSpec) {
      if (i >= values.length) throw new InvalidArgumentError(`${what}: the function returned fewer tensors than its output signature holds`);
      return values[i++];
    }
    if (Array.isArray(y)) return y.map(walk);
    if (y !== null && typeof y === "object" && !(y instanceof TensorValue) && !(y instanceof UnsupportedSpec)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(y).sort()) out[k] = walk((y as Record<string, unknown>)[k]);
      return out;
    }
    return y;
  };
  return walk(template);
}
