/**
 * tf.compat.v1.saved_model.loader.load (TensorFlow 1): the MetaGraphDef with the given tags imported into
 * the session's graph (graph/import_graph_def.ts, names unchanged), its variables restored from
 * variables/variables (name-based keys: the variables' op names) in one step (every variable or none), its
 * main op (or legacy init op) run with the asset paths fed; returns the MetaGraphDef, whose signature_def
 * names the tensors to feed and fetch.
 *
 * Nodes of ops tsflow lacks (ParseExample, SaveV2, ...) are left out with everything that depends on them,
 * and named in one warning: a SavedModel's serving graph often parses tf.Example protos before its model,
 * and its saver subgraph is TensorFlow's own restore path, which tsflow replaces. A signature input computed
 * from such nodes (x = Identity(ParseExample)) becomes a Placeholder of the signature's dtype and shape:
 * it is what a caller feeds anyway.
 */
import * as path from "node:path";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type DType, isDType } from "../../core/dtype.js";
import { DataLossError, InvalidArgumentError, NotFoundError, UnimplementedError } from "../../core/errors.js";
import { defineFunction, kind, param, signature } from "../../core/signature.js";
import { shapesCompatible, shapeStr } from "../../core/shape.js";
import { buildNode } from "../../graph/build.js";
import { importGraphDefInto } from "../../graph/import_graph_def.js";
import { IMPORT_ALIASES } from "../../graph/tf_op_signatures.js";
import type { Operation } from "../../graph/operation.js";
import type { SymbolicTensor } from "../../graph/tensor.js";
import { dtypeFromProto } from "../../io/dtype_proto.js";
import { BundleReader } from "../../io/tensor_bundle.js";
import { shapeFromProto } from "../../io/tensor_proto.js";
import { getOpDef } from "../../ops/registry.js";
import { type GraphDef, GraphDefSchema } from "../../proto/tensorflow/core/framework/graph_pb.js";
import type { NodeDef } from "../../proto/tensorflow/core/framework/node_def_pb.js";
import { AssetFileDefSchema, type MetaGraphDef } from "../../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import type { Session } from "../../runtime/session.js";
import { create, fromBinary } from "@bufbuild/protobuf";
import { VariableDefSchema } from "../../proto/tensorflow/core/framework/variable_pb.js";
import { ASSETS_DIRECTORY, ASSETS_KEY, LEGACY_INIT_OP_KEY, MAIN_OP_KEY } from "./constants.js";
import { attr, node } from "./proto_build.js";
import { pickMetaGraph, readSavedModel, variablesPrefix } from "./reader.js";
import { logWarning } from "../../core/logging.js";

const loaderLoadSignature = signature(
  "compat.v1.saved_model.loader.load",
  "Loads a TensorFlow 1 SavedModel into a session: imports the MetaGraphDef with these tags, restores its variables, runs its main op; returns the MetaGraphDef.",
  [
    param("sess", kind<Session>("Session"), "The session to load into (its graph receives the nodes)."),
    param("tags", kind<string[]>("string[]"), 'The MetaGraphDef\'s tags, e.g. [tf.compat.v1.saved_model.tag_constants.SERVING] ("serve").'),
    param("exportDir", kind<string>("string"), "The SavedModel directory."),
  ],
  { skip: "reads a SavedModel directory (test/saved_model_load.test.ts)" },
);

/** tf.compat.v1.saved_model.loader.load(sess, tags, export_dir). */
export const loaderLoad = defineFunction(loaderLoadSignature, (sess, tags, exportDir): MetaGraphDef => {
  const model = readSavedModel(exportDir);
  const meta = pickMetaGraph(model, typeof tags === "string" ? [tags] : tags, exportDir);
  loadIntoSession(sess, meta, exportDir);
  return meta;
});

/** Imports `meta` (a TensorFlow 1 MetaGraphDef of the SavedModel at `exportDir`) into `sess` and initializes it. */
export function loadIntoSession(sess: Session, meta: MetaGraphDef, exportDir: string): void {
  const what = `SavedModel ${exportDir}`;
  if ((meta.graphDef?.library?.function.length ?? 0) > 0 || meta.objectGraphDef !== undefined) {
    throw new UnimplementedError(`${what}: a TensorFlow 2 SavedModel (functions, object graph); load it with tf.saved_model.load(dir)`);
  }
  const g = sess.graph;
  const { graphDef, leftOut } = importable(meta, what);
  if (leftOut.length > 0) {
    const ops = [...new Set(leftOut.map((n) => n.op).filter((op) => importableType(op) === undefined))].join(", ");
    logWarning(`${what}: ${leftOut.length} node(s) of ops tsflow lacks (${ops}) and those depending on them were not imported`);
  }
  g.asDefault(() => importGraphDefInto(g, graphDef, { name: "" }));
  restoreVariables(sess, graphDef, exportDir, savedVariables(meta));
  runMainOp(sess, meta, exportDir, what);
}

/** The op type the importer builds for a TensorFlow op, or undefined when tsflow lacks it. */
function importableType(op: string): string | undefined {
  const t = IMPORT_ALIASES[op]?.type ?? op;
  return getOpDef(t) === undefined ? undefined : t;
}

/** The graph without the nodes tsflow cannot build and those that depend on them (see the file comment). */
function importable(meta: MetaGraphDef, what: string): { graphDef: GraphDef; leftOut: NodeDef[] } {
  const gd = meta.graphDef;
  if (gd === undefined) throw new DataLossError(`${what}: the MetaGraphDef has no graph`);
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  const inputs = new Map<string, { dtype: DType; shape: ReturnType<typeof shapeFromProto> }>();
  for (const sig of Object.values(meta.signatureDef)) {
    for (const info of Object.values(sig.inputs)) {
      if (info.encoding.case !== "name") continue;
      const name = info.encoding.value.replace(/:0$/, "");
      const dt = info.dtype === 0 ? undefined : dtypeFromProto(info.dtype, `${what}: signature input ${info.encoding.value}`);
      if (dt !== undefined && isDType(dt) && byName.has(name)) inputs.set(name, { dtype: dt, shape: shapeFromProto(info.tensorShape, what) });
    }
  }
  // Whether a node can be built; `cut`: signature inputs count as buildable (they become placeholders if not).
  const memo = [new Map<string, boolean>(), new Map<string, boolean>()];
  const check = (name: string, cut: boolean): boolean => {
    if (cut && inputs.has(name)) return true;
    const m = memo[cut ? 1 : 0];
    const known = m.get(name);
    if (known !== undefined) return known;
    const n = byName.get(name);
    if (n === undefined) return true; // the importer reports missing inputs and cycles
    m.set(name, true);
    let good = importableType(n.op) !== undefined;
    for (const i of n.input) if (!check(i.replace(/^\^/, "").replace(/:\d+$/, ""), true)) good = false;
    m.set(name, good);
    return good;
  };
  const nodes: NodeDef[] = [];
  const leftOut: NodeDef[] = [];
  for (const n of gd.node) {
    if (check(n.name, false)) nodes.push(n);
    else if (inputs.has(n.name)) {
      const spec = inputs.get(n.name)!;
      nodes.push(node(n.name, "Placeholder", [], { dtype: attr.type(spec.dtype), shape: attr.shape(spec.shape) }));
      leftOut.push(n);
    } else leftOut.push(n);
  }
  // A placeholder stands for a signature input: what it depended on may now be dropped as well.
  const kept = new Set(nodes.map((n) => n.name));
  const graphDef = create(GraphDefSchema, {
    node: nodes.filter((n) => n.input.every((i) => kept.has(i.replace(/^\^/, "").replace(/:\d+$/, "")))),
    versions: gd.versions,
  });
  return { graphDef, leftOut };
}

/** The op names of the global variables (collection "variables": VariableDefs), or null without that collection. */
function savedVariables(meta: MetaGraphDef): Set<string> | null {
  const c = meta.collectionDef.variables?.kind;
  if (c?.case !== "bytesList") return null;
  return new Set(c.value.value.map((b) => fromBinary(VariableDefSchema, b).variableName.replace(/:\d+$/, "")));
}

/**
 * Restores the variables of the import that the SavedModel saved (its global variables; those the checkpoint
 * has when the graph lists none): all values read and checked first, then one run of Assign ops.
 * Other variables (a main op's own) are left to the main op, as TensorFlow's saver does.
 */
function restoreVariables(sess: Session, gd: GraphDef, dir: string, saved: Set<string> | null): void {
  const g = sess.graph;
  const prefix = variablesPrefix(dir);
  const all = gd.node.filter((n) => n.op === "VariableV2" || n.op === "Variable" || n.op === "VarHandleOp");
  if (all.length === 0) return;
  const reader = BundleReader.open(prefix);
  const vars = all.filter((n) => (saved === null ? reader.has(n.name) : saved.has(n.name))).map((n) => g.getOperationByName(n.name));
  const missing = vars.filter((op) => !reader.has(op.name)).map((op) => op.name);
  if (missing.length > 0) throw new NotFoundError(`${prefix}: the checkpoint has no value for the variable(s) ${missing.join(", ")}`);
  const feeds = new Map<SymbolicTensor, unknown>();
  const assigns: Operation[] = [];
  g.asDefault(() =>
    g.nameScope("saved_model_restore", () => {
      for (const op of vars) {
        const t = reader.read(op.name);
        const ref = op.outputs[0];
        if (t.dtype !== ref.dtype)
          throw new InvalidArgumentError(`${prefix}: variable ${op.name} is ${ref.dtype} in the graph but ${t.dtype} in the checkpoint`);
        if (!shapesCompatible(ref.shape, t.shape)) {
          throw new InvalidArgumentError(
            `${prefix}: variable ${op.name} has shape ${shapeStr(ref.shape)} in the graph but ${shapeStr(t.shape)} in the checkpoint`,
          );
        }
        const ph = buildNode(getOpDef("Placeholder")!, [], { dtype: t.dtype, shape: t.shape }, op.name).outputs[0];
        assigns.push(buildNode(getOpDef("Assign")!, [ref, ph], {}, `${op.name}/Assign`));
        // A flat typed array takes the placeholder's (fully defined) shape.
        feeds.set(ph, t.values);
      }
    }),
  );
  sess.run(assigns as never, feeds as never);
}

/** Runs the main op (TF 1.x: saved_model_main_op, else legacy_init_op) with the asset paths fed. */
function runMainOp(sess: Session, meta: MetaGraphDef, dir: string, what: string): void {
  const opName = meta.collectionDef[MAIN_OP_KEY]?.kind ?? meta.collectionDef[LEGACY_INIT_OP_KEY]?.kind;
  if (opName === undefined || opName.case !== "nodeList" || opName.value.value.length === 0) return;
  const name = opName.value.value[0];
  if (!sess.graph.hasOperation(name)) {
    logWarning(`${what}: its main op ${name} was not imported (it depends on ops tsflow lacks) and was not run`);
    return;
  }
  const feeds = new Map<SymbolicTensor, unknown>();
  const assets = meta.collectionDef[ASSETS_KEY]?.kind;
  if (assets?.case === "anyList") {
    for (const a of assets.value.value) {
      const def = anyUnpack(a, AssetFileDefSchema);
      const t = def?.tensorInfo?.encoding;
      if (def === undefined || t?.case !== "name" || !sess.graph.hasOperation(t.value.replace(/:\d+$/, ""))) continue;
      feeds.set(sess.graph.getTensorByName(t.value), path.join(dir, ASSETS_DIRECTORY, def.filename));
    }
  }
  sess.run(sess.graph.getOperationByName(name) as never, feeds as never);
}
