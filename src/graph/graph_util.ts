import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { defineFunction, K, kind, optional, positionalOnly, param, signature } from "../core/signature.js";
import type { GraphDef } from "../proto/tensorflow/core/framework/graph_pb.js";
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

function parseGraphDefText(_text: string, what: string): GraphDef {
  throw new InvalidArgumentError(`${what}: the protobuf text format is not available yet`);
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
