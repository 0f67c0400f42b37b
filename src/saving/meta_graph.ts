import fs from "node:fs";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError, NotFoundError, UnimplementedError } from "../core/errors.js";
import { defineFunction, K, kind, optional, positionalOnly, param, signature, withDefault } from "../core/signature.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { Graph, GraphKeys } from "../graph/graph.js";
import { importGraphDefInto } from "../graph/import_graph_def.js";
import { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { writeFileAtomic } from "../io/atomic_file.js";
import { fromTextFormat, toTextFormat } from "../io/text_format.js";
import { type GraphDef, GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import type { NodeDef } from "../proto/tensorflow/core/framework/node_def_pb.js";
import { VariableDefSchema } from "../proto/tensorflow/core/framework/variable_pb.js";
import { type CollectionDef, CollectionDefSchema, type MetaGraphDef, MetaGraphDefSchema } from "../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import type { SaverDef } from "../proto/tensorflow/core/protobuf/saver_pb.js";
import { Variable } from "../variables/variable.js";
import { Saver } from "./saver.js";

/**
 * TensorFlow 1's meta graphs: tf.train.exportMetaGraph writes a graph with its collections (variables as
 * VariableDef protos, ops and tensors by name) so that tf.train.importMetaGraph can rebuild it in another
 * program, variables usable and a Saver over them; tf.train.writeGraph writes a bare GraphDef.
 */

/** What meta_info_def.tensorflow_version says wrote the file (tsflow's version, checked against package.json by the tests). */
export const TSFLOW_VERSION = "tsflow 0.1.0";

/** Collections whose items are variables, written as VariableDef protos (TensorFlow registers these keys). */
const VARIABLE_COLLECTIONS: ReadonlySet<string> = new Set([
  GraphKeys.GLOBAL_VARIABLES,
  GraphKeys.TRAINABLE_VARIABLES,
  GraphKeys.LOCAL_VARIABLES,
  GraphKeys.MODEL_VARIABLES,
  GraphKeys.GLOBAL_STEP,
  "moving_average_variables",
  "metric_variables",
]);

const utf8 = new TextEncoder();

/** One collection as a CollectionDef, or null when its items cannot be written (TensorFlow skips those too). */
function collectionToProto(items: readonly unknown[]): CollectionDef | null {
  if (items.length === 0) return null;
  if (items.every((x) => x instanceof Variable)) {
    const vars = (items as Variable[]).filter((v) => v.graph !== null);
    if (vars.length !== items.length) return null;
    return create(CollectionDefSchema, { kind: { case: "bytesList", value: { value: vars.map((v) => toBinary(VariableDefSchema, v.toProto())) } } });
  }
  if (items.every((x) => x instanceof Operation || x instanceof SymbolicTensor)) {
    return create(CollectionDefSchema, { kind: { case: "nodeList", value: { value: (items as (Operation | SymbolicTensor)[]).map((x) => x.name) } } });
  }
  if (items.every((x) => typeof x === "string")) {
    return create(CollectionDefSchema, { kind: { case: "bytesList", value: { value: (items as string[]).map((s) => utf8.encode(s)) } } });
  }
  if (items.every((x) => typeof x === "number" && Number.isInteger(x)) || items.every((x) => typeof x === "bigint")) {
    return create(CollectionDefSchema, { kind: { case: "int64List", value: { value: (items as (number | bigint)[]).map((x) => BigInt(x)) } } });
  }
  if (items.every((x) => typeof x === "number")) {
    return create(CollectionDefSchema, { kind: { case: "floatList", value: { value: items as number[] } } });
  }
  return null;
}

/** The MetaGraphDef of `graph`: its GraphDef, the collections (all, or those listed) and a SaverDef when given. */
export function buildMetaGraphDef(
  graph: Graph,
  opts: { graphDef?: GraphDef; saverDef?: SaverDef; collectionList?: readonly string[]; clearDevices?: boolean; tags?: readonly string[] } = {},
): MetaGraphDef {
  const graphDef = opts.graphDef ?? graph.asGraphDef();
  if (opts.clearDevices) for (const n of graphDef.node) n.device = "";
  const collectionDef: { [key: string]: CollectionDef } = {};
  for (const key of [...(opts.collectionList ?? graph.getAllCollectionKeys())].sort()) {
    const c = collectionToProto(graph.getCollection(key));
    if (c) collectionDef[key] = c;
  }
  return create(MetaGraphDefSchema, {
    metaInfoDef: { tensorflowVersion: TSFLOW_VERSION, tensorflowGitVersion: "unknown", tags: [...(opts.tags ?? [])] },
    graphDef,
    saverDef: opts.saverDef,
    collectionDef,
  });
}

/** Writes `bytes` (or text) atomically (a temporary file synced, then renamed), creating the directory. */
function writeProtoFile(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, data);
}

const exportMetaGraphSignature = signature(
  "compat.v1.train.export_meta_graph",
  "The MetaGraphDef of a graph (default: the default graph): its GraphDef, collections (variables as VariableDef protos, ops and tensors by name) and SaverDef; written to `filename` when given.",
  [
    optional("filename", K.string, "Where to write it (binary, or text format with asText)."),
    optional("metaInfoDef", kind<unknown>("unknown"), "Not supported: must be absent (tsflow writes its own MetaInfoDef)."),
    optional("graphDef", kind<GraphDef>("GraphDef"), "The GraphDef to use instead of the graph's own."),
    optional("saverDef", kind<SaverDef>("SaverDef"), "A SaverDef to include."),
    optional("collectionList", kind<string[]>("string[]"), "The collections to write (default: all)."),
    withDefault("asText", K.boolean, false, "Write the protobuf text format instead of binary."),
    optional("graph", kind<Graph>("Graph"), "The graph (default: the default graph)."),
    optional("exportScope", K.string, "Not supported: must be absent."),
    withDefault("clearDevices", K.boolean, false, "Write the nodes without their device strings."),
    withDefault("clearExtraneousSavers", K.boolean, false, "No effect: tsflow's Savers add no save ops to the graph."),
    withDefault("stripDefaultAttrs", K.boolean, false, "No effect: every attr is written."),
    withDefault("saveDebugInfo", K.boolean, false, "No effect: no debug info is written."),
  ],
  { graph: true, args: () => [] },
);

export const exportMetaGraph = defineFunction(
  exportMetaGraphSignature,
  (filename, metaInfoDef, graphDef, saverDef, collectionList, asText, graph, exportScope, clearDevices): MetaGraphDef => {
    if (metaInfoDef !== undefined) throw new UnimplementedError("tf.train.exportMetaGraph: metaInfoDef is not supported by tsflow");
    if (exportScope !== undefined) throw new UnimplementedError("tf.train.exportMetaGraph: exportScope is not supported by tsflow yet");
    const mg = buildMetaGraphDef(graph ?? getDefaultGraph(), { graphDef, saverDef, collectionList, clearDevices });
    if (filename !== undefined) writeProtoFile(filename, asText ? toTextFormat(MetaGraphDefSchema, mg) : toBinary(MetaGraphDefSchema, mg));
    return mg;
  },
);

/** A MetaGraphDef from a file: binary, or text format (a .pbtxt / .meta written with asText). */
export function readMetaGraphFile(file: string): MetaGraphDef {
  if (!fs.existsSync(file)) throw new NotFoundError(`File ${file} does not exist.`);
  const bytes = fs.readFileSync(file);
  try {
    return fromBinary(MetaGraphDefSchema, bytes);
  } catch (binaryError) {
    try {
      return fromTextFormat(MetaGraphDefSchema, bytes.toString("utf8"));
    } catch {
      throw new InvalidArgumentError(`${file}: neither a binary nor a text MetaGraphDef (${(binaryError as Error).message})`);
    }
  }
}

/**
 * Imports a meta graph into the default graph and restores its collections; returns the variables in its
 * GLOBAL_VARIABLES collection (made once each, shared by every collection naming them).
 */
export function importMetaGraphInto(mg: MetaGraphDef, opts: { importScope?: string; clearDevices?: boolean } = {}): Variable[] {
  const g = getDefaultGraph();
  if (!mg.graphDef) throw new InvalidArgumentError("importMetaGraph: the MetaGraphDef has no graph_def");
  const gd = create(GraphDefSchema, { ...mg.graphDef, node: withoutSaverOps(mg) });
  if (opts.clearDevices) for (const n of gd.node) n.device = "";
  const scope = opts.importScope ?? "";
  importGraphDefInto(g, gd, { name: scope });
  const prefix = scope === "" ? "" : `${scope}/`;
  const byVarName = new Map<string, Variable>();
  const dec = new TextDecoder();
  for (const key of Object.keys(mg.collectionDef).sort()) {
    const kind = mg.collectionDef[key].kind;
    switch (kind.case) {
      case "nodeList":
        for (const name of kind.value.value) g.addToCollection(key, g.asGraphElement(prefix + name));
        break;
      case "bytesList":
        for (const b of kind.value.value) {
          if (!VARIABLE_COLLECTIONS.has(key)) {
            g.addToCollection(key, dec.decode(b));
            continue;
          }
          const def = fromBinary(VariableDefSchema, b);
          let v = byVarName.get(def.variableName);
          if (!v) byVarName.set(def.variableName, (v = Variable.fromProto(def, scope || undefined)));
          g.addToCollection(key, v);
        }
        break;
      case "int64List":
        for (const x of kind.value.value) g.addToCollection(key, Number(x));
        break;
      case "floatList":
        for (const x of kind.value.value) g.addToCollection(key, x);
        break;
      default:
        break;
    }
  }
  const globals = new Set(g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES));
  return [...byVarName.values()].filter((v) => globals.has(v));
}

/**
 * The graph's nodes without those of the SaverDef's name scope ("save/..." with SaveV2 and RestoreV2, which
 * tsflow does not run): the Saver importMetaGraph returns saves and restores the variables itself.
 */
function withoutSaverOps(mg: MetaGraphDef): NodeDef[] {
  const nodes = mg.graphDef!.node;
  const restore = mg.saverDef?.restoreOpName ?? "";
  const slash = restore.indexOf("/");
  if (slash <= 0) return nodes;
  const scope = `${restore.slice(0, slash)}/`;
  return nodes.filter((n) => !n.name.startsWith(scope));
}

const importMetaGraphSignature = signature(
  "compat.v1.train.import_meta_graph",
  "Imports a meta graph (a .meta file or a MetaGraphDef) into the default graph, restores its collections and returns a Saver over its variables (null when it has none).",
  [
    positionalOnly(param("metaGraphOrFile", kind<string | MetaGraphDef>("string | MetaGraphDef"), "The .meta file's path, or a MetaGraphDef.")),
    withDefault("clearDevices", K.boolean, false, "Import the nodes without their device strings."),
    optional("importScope", K.string, "A name scope the imported names go under (default: none, names unchanged)."),
  ],
  { skip: "needs a meta graph file; covered by test/meta_graph.test.ts" },
);

export const importMetaGraph = defineFunction(importMetaGraphSignature, (metaGraphOrFile, clearDevices, importScope): Saver | null => {
  const mg = typeof metaGraphOrFile === "string" ? readMetaGraphFile(metaGraphOrFile) : metaGraphOrFile;
  const vars = importMetaGraphInto(mg, { clearDevices, importScope });
  if (vars.length === 0) return null;
  const sd = mg.saverDef;
  return new Saver({
    varList: vars,
    ...(sd && sd.maxToKeep > 0 ? { maxToKeep: sd.maxToKeep } : {}),
    ...(sd && sd.keepCheckpointEveryNHours > 0 ? { keepCheckpointEveryNHours: sd.keepCheckpointEveryNHours } : {}),
  });
});

const writeGraphSignature = signature(
  "io.write_graph",
  "Writes a graph's GraphDef (or a GraphDef) to logdir/name, in the protobuf text format (asText, the default, as in TensorFlow) or binary; returns the path.",
  [
    param("graphOrGraphDef", kind<Graph | GraphDef>("Graph | GraphDef"), "The graph, or its GraphDef."),
    param("logdir", K.string, "The directory (created when missing)."),
    param("name", K.string, 'The file name, e.g. "model.pb" or "graph.pbtxt".'),
    withDefault("asText", K.boolean, true, "Text format (true) or binary (false)."),
  ],
  { skip: "writes files; covered by test/meta_graph.test.ts" },
);

export const writeGraph = defineFunction(writeGraphSignature, (graphOrGraphDef, logdir, name, asText): string => {
  const gd = graphOrGraphDef instanceof Graph ? graphOrGraphDef.asGraphDef() : graphOrGraphDef;
  const file = path.join(logdir, name);
  writeProtoFile(file, asText ? toTextFormat(GraphDefSchema, gd) : toBinary(GraphDefSchema, gd));
  return file;
});
