import { create } from "@bufbuild/protobuf";
import type { DType, Values } from "../core/dtype.js";
import type { AttrValue } from "../core/schema/types.js";
import { SUMMARY_SPEC_ATTR, type SummaryWriterAttr } from "../core/summary_writer_attr.js";
import { dtypeToProto } from "../io/dtype_proto.js";
import { tensorToProto } from "../io/tensor_proto.js";
import { AttrValueSchema, type AttrValue as AttrValueProto } from "../proto/tensorflow/core/framework/attr_value_pb.js";
import { type GraphDef, GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import { type NodeDef, NodeDefSchema } from "../proto/tensorflow/core/framework/node_def_pb.js";
import { attrToProto } from "./attr_proto.js";
import type { Graph } from "./graph.js";
import type { Operation } from "./operation.js";
import type { SymbolicTensor } from "./tensor.js";
import { inputTypeAttrs } from "./tf_op_signatures.js";

/**
 * The GraphDef version tsflow writes as `versions.producer`: that of the newest TensorFlow GraphDef among
 * the real fixtures (tensorflow/rust's addition model, TF 2.x). TensorFlow reads a graph whose producer is
 * newer than itself (it only checks min_consumer), so this does not lock older readers out.
 */
export const GRAPH_DEF_VERSION = 1882;

/** A tensor as a NodeDef input names it: "op" for output 0, "op:i" otherwise. */
export function inputName(t: SymbolicTensor): string {
  return t.valueIndex === 0 ? t.op.name : `${t.op.name}:${t.valueIndex}`;
}

/**
 * Graph.as_graph_def: every node in creation order (a topological order) with TensorFlow's op type, inputs
 * ("node", "node:1", then "^control"), requested device and attrs: the table's declared attrs by their
 * TensorFlow types, the type attrs the inputs bind (`T`, `Tidx`, ...) and list lengths (`N`).
 */
export function graphToGraphDef(g: Graph, opts: { addShapes?: boolean; fromVersion?: number } = {}): GraphDef {
  const from = opts.fromVersion ?? 0;
  const node = g
    .getOperations()
    .filter((op) => op.id >= from)
    .map((op) => opToNodeDef(op, opts.addShapes === true));
  return create(GraphDefSchema, { node, versions: { producer: GRAPH_DEF_VERSION } });
}

export function opToNodeDef(op: Operation, addShapes = false): NodeDef {
  const what = `node ${op.name} (${op.type})`;
  const attr: { [k: string]: AttrValueProto } = {};
  const schema = op.def;
  const declared = new Set((schema.attrs ?? []).map((d) => d.name));
  if (op.type === "Const") {
    const dtype = op.attrs.dtype as DType;
    attr.dtype = create(AttrValueSchema, { value: { case: "type", value: dtypeToProto(dtype) } });
    const value = tensorToProto(dtype, op.attrs.shape as number[], op.attrs.value as Values);
    attr.value = create(AttrValueSchema, { value: { case: "tensor", value } });
  } else {
    for (const d of schema.attrs ?? []) {
      const v = op.attrs[d.name];
      if (v === undefined) continue;
      if (op.type === "WriteSummary" && d.name === "writer") {
        // A host object: written as its spec, which an import turns back into a writer (core/summary_writer_attr.ts).
        attr[SUMMARY_SPEC_ATTR] = attrToProto("string", (v as unknown as SummaryWriterAttr).spec, what);
        continue;
      }
      attr[d.name] = attrToProto(d.type, v, what);
    }
    const { typeAttrs, numberAttr } = inputTypeAttrs(schema, op.inputs.length);
    op.inputs.forEach((t, i) => {
      const name = typeAttrs[i];
      if (name !== null && !declared.has(name) && attr[name] === undefined) {
        attr[name] = create(AttrValueSchema, { value: { case: "type", value: dtypeToProto(t.dtype) } });
      }
    });
    if (numberAttr && !declared.has(numberAttr.name)) {
      attr[numberAttr.name] = create(AttrValueSchema, { value: { case: "i", value: BigInt(numberAttr.count) } });
    }
  }
  if (addShapes) {
    attr._output_shapes = attrToProto("list(shape)", op.outputs.map((t) => t.shape) as unknown as AttrValue, what);
  }
  return create(NodeDefSchema, {
    name: op.name,
    op: op.type,
    input: [...op.inputs.map(inputName), ...op.controlInputs.map((c) => `^${c.name}`)],
    device: op.device,
    attr,
  });
}
