/**
 * One NodeDef of a FunctionDef body as a tsflow graph node: its AttrValues converted to the op table's
 * attrs (core/schema), then built in the default graph with graph/build.ts. Used for the ops that need no
 * special treatment (everything but variable handles and function calls, see function_import.ts).
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import type { AttrDef, Attrs, AttrValue as JsAttr } from "../../core/schema/types.js";
import { outputArgs } from "../../core/schema/args.js";
import { buildNode } from "../../graph/build.js";
import type { SymbolicTensor } from "../../graph/tensor.js";
import { dtypeFromProto } from "../../io/dtype_proto.js";
import { shapeFromProto, tensorFromProto } from "../../io/tensor_proto.js";
import { getOpDef, type OpDef } from "../../ops/registry.js";
import type { AttrValue } from "../../proto/tensorflow/core/framework/attr_value_pb.js";
import type { NodeDef } from "../../proto/tensorflow/core/framework/node_def_pb.js";

const utf8 = new TextDecoder();

/** Ops whose every input passes through unchanged (one output per input). */
const PASS_THROUGH = new Set(["Identity", "Snapshot", "StopGradient", "PreventGradient", "EnsureShape"]);

/** Builds `node` on `inputs` (its data inputs, resolved) in the default graph; returns its outputs. */
export function importNode(node: NodeDef, inputs: readonly SymbolicTensor[], what: string): SymbolicTensor[] {
  const where = `${what}: node ${node.name} (${node.op})`;
  if (node.op === "Const") {
    const v = node.attr.value?.value;
    if (v?.case !== "tensor") throw new InvalidArgumentError(`${where}: a Const without a tensor value`);
    const t = tensorFromProto(v.value, where);
    return buildNode(getOpDef("Const")!, [], { value: t.values, dtype: t.dtype, shape: t.shape }, node.name).outputs;
  }
  if (PASS_THROUGH.has(node.op)) return [buildNode(getOpDef("Identity")!, [inputs[0]], {}, node.name).outputs[0]];
  if (node.op === "IdentityN") return inputs.map((x, i) => buildNode(getOpDef("Identity")!, [x], {}, i === 0 ? node.name : `${node.name}_${i}`).outputs[0]);
  const def = getOpDef(node.op === "Add" ? "AddV2" : node.op);
  if (def === undefined) throw new UnimplementedError(`${where}: op ${node.op} is not implemented in tsflow`);
  return buildNode(def, inputs, attrsOf(def, node, where), node.name).outputs;
}

/** The flat output index of `arg:idx` (a FunctionDef input "node:arg:idx") of a node of type `op`. */
export function outputIndex(op: string, node: NodeDef, arg: string, idx: number, what: string): number {
  const def = getOpDef(op === "Add" ? "AddV2" : op);
  const args = def ? outputArgs(def) : [];
  if (args.length <= 1 || PASS_THROUGH.has(op) || op === "IdentityN" || op === "Const") return idx;
  let offset = 0;
  for (const a of args) {
    const n = a.numberAttr ? Number(node.attr[a.numberAttr]?.value.value ?? 1) : 1;
    if (a.name === arg) return offset + idx;
    offset += n;
  }
  throw new InvalidArgumentError(`${what}: node ${node.name} (${op}) has no output named ${arg}`);
}

function attrsOf(def: OpDef, node: NodeDef, where: string): Attrs {
  const out: Record<string, JsAttr> = {};
  for (const d of def.attrs ?? []) {
    const a = node.attr[d.name];
    if (a === undefined || a.value.case === undefined) continue;
    out[d.name] = convertAttr(d, a, where);
  }
  return out;
}

function convertAttr(d: AttrDef, a: AttrValue, where: string): JsAttr {
  const bad = (): never => {
    throw new InvalidArgumentError(`${where}: attr ${d.name} should be ${d.type}, got ${a.value.case}`);
  };
  const v = a.value;
  switch (d.type) {
    case "type":
      return v.case === "type" ? dtypeFromProto(v.value, where) : bad();
    case "int":
      return v.case === "i" ? Number(v.value) : bad();
    case "float":
      return v.case === "f" ? v.value : bad();
    case "bool":
      return v.case === "b" ? v.value : bad();
    case "string":
      return v.case === "s" ? utf8.decode(v.value) : bad();
    case "shape":
      return v.case === "shape" ? shapeFromProto(v.value, where) : bad();
    case "tensor":
      return v.case === "tensor" ? tensorFromProto(v.value, where).values : bad();
    case "func":
      return v.case === "func" ? { name: v.value.name } : bad();
  }
  if (v.case !== "list") return bad();
  const l = v.value;
  switch (d.type) {
    case "list(int)":
      return l.i.map(Number);
    case "list(float)":
      return [...l.f];
    case "list(type)":
      return l.type.map((t) => dtypeFromProto(t, where));
    case "list(string)":
      return l.s.map((s) => utf8.decode(s));
    case "list(bool)":
      return l.b.map((b) => (b ? 1 : 0));
    case "list(shape)":
      return l.shape.map((s) => shapeFromProto(s, where)) as unknown as JsAttr;
  }
  throw new UnimplementedError(`${where}: attr ${d.name} of type ${d.type} cannot be imported`);
}
