/**
 * The "save/" subgraph TensorFlow 1's tf.train.Saver adds to a graph, written as NodeDefs onto a GraphDef, and the
 * SaverDef naming it: a filename placeholder (save/Const), SaveV2 of every saved variable under its checkpoint key
 * with save/control_dependency returning the path, RestoreV2 with one Assign per variable grouped in
 * save/restore_all. TensorFlow's tf.train.import_meta_graph rebuilds its Saver from these; tsflow's own Saver runs
 * save and restore itself and writes them so that the files it exports have what TensorFlow's have.
 */
import type { DType } from "../core/dtype.js";
import type { GraphDef } from "../proto/tensorflow/core/framework/graph_pb.js";
import { type SaverDef, SaverDef_CheckpointFormatVersion } from "../proto/tensorflow/core/protobuf/saver_pb.js";
import { attr, node, stringConst } from "./saved_model/proto_build.js";

/** One saved variable: its checkpoint key, the node holding it and its dtype. */
export interface SavedVariableNode {
  readonly key: string;
  readonly node: string;
  readonly dtype: DType;
}

/** Appends the save/ subgraph (in the first free scope "save", "save_1", ...) to `gd` and returns its SaverDef's fields. */
export function appendSaveSubgraph(
  gd: GraphDef,
  vars: readonly SavedVariableNode[],
  opts: { maxToKeep: number; keepCheckpointEveryNHours: number },
): Omit<SaverDef, "$typeName" | "$unknown"> {
  const used = new Set(gd.node.map((n) => n.name));
  let scope = "save";
  for (let i = 1; [...used].some((n) => n === scope || n.startsWith(`${scope}/`)); i++) scope = `save_${i}`;
  const s = (n: string) => `${scope}/${n}`;
  const keys = vars.map((v) => v.key);
  const dtypes = vars.map((v) => v.dtype);
  const noSlices = vars.map(() => "");
  const assign = (i: number) => s(i === 0 ? "Assign" : `Assign_${i}`);
  gd.node.push(
    stringConst(s("filename/input"), ["model"], true),
    node(s("filename"), "PlaceholderWithDefault", [s("filename/input")], { dtype: attr.type("string"), shape: attr.shape([]) }),
    node(s("Const"), "PlaceholderWithDefault", [s("filename")], { dtype: attr.type("string"), shape: attr.shape([]) }),
    stringConst(s("SaveV2/tensor_names"), keys),
    stringConst(s("SaveV2/shape_and_slices"), noSlices),
    node(s("SaveV2"), "SaveV2", [s("Const"), s("SaveV2/tensor_names"), s("SaveV2/shape_and_slices"), ...vars.map((v) => v.node)], {
      dtypes: attr.types(dtypes),
    }),
    node(s("control_dependency"), "Identity", [s("Const"), `^${s("SaveV2")}`], { T: attr.type("string") }),
    stringConst(s("RestoreV2/tensor_names"), keys),
    stringConst(s("RestoreV2/shape_and_slices"), noSlices),
    node(s("RestoreV2"), "RestoreV2", [s("Const"), s("RestoreV2/tensor_names"), s("RestoreV2/shape_and_slices")], { dtypes: attr.types(dtypes) }),
    ...vars.map((v, i) => node(assign(i), "Assign", [v.node, i === 0 ? s("RestoreV2") : `${s("RestoreV2")}:${i}`], { T: attr.type(v.dtype) })),
    node(
      s("restore_all"),
      "NoOp",
      vars.map((_, i) => `^${assign(i)}`),
    ),
  );
  return {
    filenameTensorName: `${s("Const")}:0`,
    saveTensorName: `${s("control_dependency")}:0`,
    restoreOpName: s("restore_all"),
    maxToKeep: opts.maxToKeep,
    sharded: false,
    keepCheckpointEveryNHours: opts.keepCheckpointEveryNHours,
    version: SaverDef_CheckpointFormatVersion.V2,
  };
}
