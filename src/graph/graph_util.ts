import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { defineFunction, K, kind, optional, positionalOnly, param, signature } from "../core/signature.js";
import { create } from "@bufbuild/protobuf";
import { type GraphDef, GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import { NodeDefSchema } from "../proto/tensorflow/core/framework/node_def_pb.js";
import { fromTextFormat } from "../io/text_format.js";
import { getDefaultGraph } from "./default_graph.js";
import { importGraphDefInto, parseGraphDefBinary } from "./import_graph_def.js";
import type { Operation } from "./operation.js";
import type { SymbolicTensor } from "./tensor.js";

/** A GraphDef message, its binary form, or (tf.graphUtil.parseGraphDef) its text form. */
export type GraphDefLike = GraphDef | Uint8Array | string;

const graphDefKind = kind<GraphDefLike>("GraphDef | Uint8Array | string");

/** A GraphDef message from its binary (.pb) or text (.pbtxt) form; a message is returned as it is. */
export function toGraphDef(x: GraphDefLike, what = "GraphDef"): GraphDef {
  if (x instanceof Uint8Array) return parseGraphDefBinary(x, what);
  if (typeof x === "string") return parseGraphDefText(x, what);
  if (x === null || typeof x !== "object" || (x as { $typeName?: string }).$typeName !== "tensorflow.GraphDef") {
    throw new InvalidArgumentError(`${what}: expected a GraphDef message, its binary bytes or its text form`);
  }
  return x;
}

function parseGraphDefText(text: string, what: string): GraphDef {
  try {
    return fromTextFormat(GraphDefSchema, text);
  } catch (e) {
    throw new InvalidArgumentError(`${what}: not a text-format GraphDef (${(e as Error).message})`);
  }
}

const parseGraphDefSignature = signature(
  "graph_util.parse_graph_def",
  "A GraphDef message from its binary form (the bytes of a .pb file) or its protobuf text form (a .pbtxt file's text). Not in TensorFlow, where GraphDef.FromString / text_format.Parse do it.",
  [positionalOnly(param("data", kind<Uint8Array | string>("Uint8Array | string"), "The bytes of a binary GraphDef, or the text of a text-format one."))],
  { skip: "needs a serialized GraphDef; covered by test/graph_def.test.ts" },
);
export const parseGraphDef = defineFunction(parseGraphDefSignature, (data): GraphDef => toGraphDef(data));

const importGraphDefSignature = signature(
  "graph_util.import_graph_def",
  "Imports a GraphDef into the default graph under a name scope (default 'import'); returns the returnElements as tensors ('name:0') and operations ('name').",
  [
    positionalOnly(param("graphDef", graphDefKind, "The GraphDef: a message, its binary bytes, or its text form.")),
    optional(
      "inputMap",
      kind<{ readonly [name: string]: Tensor } | Map<string, Tensor>>("{ [name: string]: Tensor } | Map<string, Tensor>"),
      "Tensor names of the GraphDef ('x:0', or 'x' for output 0) -> tensors of the default graph that replace them (give it in the options object, or as a Map).",
    ),
    optional("returnElements", kind<string[]>("string[]"), "Names of tensors ('z:0') and operations ('train') of the GraphDef to return, after the import."),
    optional("name", K.string, "The name scope the nodes go under: 'import' when absent, '' for none."),
    optional("opDict", kind<unknown>("unknown"), "Deprecated in TensorFlow and ignored."),
    optional(
      "producerOpList",
      kind<unknown>("unknown"),
      "TensorFlow's list of the producer's OpDefs, to strip default attrs; ignored (tsflow accepts absent attrs that have defaults).",
    ),
  ],
  { skip: "needs a GraphDef; covered by test/graph_def.test.ts" },
);

/** tf.import_graph_def / tf.graph_util.import_graph_def. */
export const importGraphDef = defineFunction(importGraphDefSignature, (graphDef, inputMap, returnElements, name): (SymbolicTensor | Operation)[] | undefined =>
  importGraphDefInto(getDefaultGraph(), toGraphDef(graphDef), { inputMap, returnElements, name }),
);

/** The nodes of `gd` that `outputs` depend on (data and control inputs), in their GraphDef order. */
export function extractSubGraphDef(gd: GraphDef, outputs: readonly string[]): GraphDef {
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  const keep = new Set<string>();
  const stack: string[] = [];
  for (const o of outputs) {
    if (o.includes(":")) throw new InvalidArgumentError(`extractSubGraph: '${o}' looks like a tensor name; give node names`);
    if (!byName.has(o)) throw new InvalidArgumentError(`extractSubGraph: '${o}' is not in the graph`);
    stack.push(o);
  }
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (keep.has(name)) continue;
    keep.add(name);
    const n = byName.get(name);
    if (!n) throw new InvalidArgumentError(`extractSubGraph: input '${name}' is not in the graph`);
    for (const i of n.input) stack.push(nodeOfInput(i));
  }
  return create(GraphDefSchema, { node: gd.node.filter((n) => keep.has(n.name)), versions: gd.versions, library: gd.library });
}

function nodeOfInput(input: string): string {
  const s = input.startsWith("^") ? input.slice(1) : input;
  const m = /^(.*):\d+$/.exec(s);
  return m ? m[1] : s;
}

const extractSubGraphSignature = signature(
  "compat.v1.graph_util.extract_sub_graph",
  "The part of a GraphDef that the named nodes need (their inputs, recursively, control inputs included).",
  [
    positionalOnly(param("graphDef", kind<GraphDef>("GraphDef"), "The GraphDef.")),
    param("destNodes", kind<string[]>("string[]"), "The names of the nodes to keep, with everything they depend on."),
  ],
  { skip: "needs a GraphDef; covered by test/meta_graph.test.ts" },
);
export const extractSubGraph = defineFunction(extractSubGraphSignature, (graphDef, destNodes): GraphDef => extractSubGraphDef(graphDef, destNodes));

const removeTrainingNodesSignature = signature(
  "compat.v1.graph_util.remove_training_nodes",
  "A copy of a GraphDef without the Identity and CheckNumerics nodes that only matter in training, their consumers wired to their inputs.",
  [
    positionalOnly(param("inputGraph", kind<GraphDef>("GraphDef"), "The GraphDef.")),
    optional("protectedNodes", kind<string[]>("string[]"), "Nodes to keep even if they could be removed (e.g. the outputs)."),
  ],
  { skip: "needs a GraphDef; covered by test/meta_graph.test.ts" },
);
export const removeTrainingNodes = defineFunction(removeTrainingNodesSignature, (inputGraph, protectedNodes): GraphDef => {
  const keep = new Set(protectedNodes ?? []);
  // A removed node forwards to its first input; chains of them resolve to the first kept node.
  const forward = new Map<string, string>();
  for (const n of inputGraph.node) {
    if ((n.op === "Identity" || n.op === "CheckNumerics") && !keep.has(n.name) && n.input.length >= 1 && !n.input[0].startsWith("^")) {
      if (n.input.slice(1).some((i) => i.startsWith("^"))) continue;
      forward.set(n.name, n.input[0]);
    }
  }
  const resolve = (input: string): string => {
    const control = input.startsWith("^");
    let cur = control ? input.slice(1) : input;
    for (let guard = 0; guard < forward.size + 1; guard++) {
      const next = forward.get(nodeOfInput(cur));
      // Only output 0 of an Identity exists: "x:0" and "x" both forward.
      if (next === undefined || (cur.includes(":") && !cur.endsWith(":0"))) break;
      cur = next;
    }
    return control ? `^${nodeOfInput(cur)}` : cur;
  };
  const node = inputGraph.node.filter((n) => !forward.has(n.name)).map((n) => create(NodeDefSchema, { ...n, input: n.input.map(resolve) }));
  return create(GraphDefSchema, { node, versions: inputGraph.versions, library: inputGraph.library });
});
