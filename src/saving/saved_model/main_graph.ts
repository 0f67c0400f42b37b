/**
 * The main graph of a TensorFlow 2 SavedModel's MetaGraphDef, for loaders that run it in a Session
 * (TensorFlow's C++ LoadSavedModel, TensorFlow Serving, tf.compat.v1 loaders): a VarHandleOp per variable;
 * per signature, a placeholder per input ("<signature>_<input>") and a StatefulPartitionedCall of the
 * signature's function on them and the variables' handles, whose outputs the SignatureDef names; and the
 * SaverDef's save and restore functions (SaveV2 / RestoreV2 of the object-based keys, fed the checkpoint
 * prefix through "saver_filename").
 */
import { create } from "@bufbuild/protobuf";
import type { DType } from "../../core/dtype.js";
import type { Shape } from "../../core/shape.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { shapeToProto } from "../../io/tensor_proto.js";
import { type FunctionDef, FunctionDefSchema } from "../../proto/tensorflow/core/framework/function_pb.js";
import type { NodeDef } from "../../proto/tensorflow/core/framework/node_def_pb.js";
import { OpDef_ArgDefSchema } from "../../proto/tensorflow/core/framework/op_def_pb.js";
import { DataType } from "../../proto/tensorflow/core/framework/types_pb.js";
import { OBJECT_GRAPH_PROTO_KEY } from "../object_graph.js";
import { attr, node, stringConst } from "./proto_build.js";
import type { NamedSpec } from "./signature_wrapper.js";

export interface SignatureCall {
  readonly name: string;
  readonly functionName: string;
  readonly inputs: readonly NamedSpec[];
  readonly outputs: readonly NamedSpec[];
  /** Node ids of the variables the function takes after its inputs. */
  readonly captured: readonly number[];
}

export interface SavedVariableInfo {
  readonly key: string;
  readonly nodeId: number;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly name: string;
}

export interface MainGraph {
  readonly nodes: NodeDef[];
  readonly functions: FunctionDef[];
  /** Signature -> the names of its input placeholders (in the signature's input order). */
  readonly signatureInputs: Map<string, string[]>;
  /** Signature -> the node whose outputs are its outputs. */
  readonly signatureOutputs: Map<string, string>;
  readonly saver: { filename: string; save: string; restore: string };
}

export function buildMainGraph(calls: readonly SignatureCall[], variables: readonly SavedVariableInfo[], objectGraph: Uint8Array, uid: number): MainGraph {
  const nodes: NodeDef[] = [];
  const used = new Set<string>();
  const unique = (base: string) => {
    let n = base;
    for (let i = 1; used.has(n); i++) n = `${base}_${i}`;
    used.add(n);
    return n;
  };
  const handleOf = new Map<number, string>();
  for (const v of variables) {
    const n = unique(v.name.replace(/[^A-Za-z0-9_./-]/g, "_") || "Variable");
    handleOf.set(v.nodeId, n);
    nodes.push(node(n, "VarHandleOp", [], { dtype: attr.type(v.dtype), shape: attr.shape(v.shape), shared_name: attr.string(n), container: attr.string("") }));
  }
  const signatureInputs = new Map<string, string[]>();
  const signatureOutputs = new Map<string, string>();
  for (const c of calls) {
    const phs = c.inputs.map((x) => {
      const n = unique(`${c.name}_${x.name}`);
      nodes.push(node(n, "Placeholder", [], { dtype: attr.type(x.dtype), shape: attr.shape(x.shape) }));
      return n;
    });
    const call = unique("StatefulPartitionedCall");
    const handles = c.captured.map((id) => handleOf.get(id)!);
    nodes.push(
      node(call, "StatefulPartitionedCall", [...phs, ...handles], {
        Tin: attr.types([...c.inputs.map((x) => x.dtype), ...handles.map(() => DataType.DT_RESOURCE)]),
        Tout: attr.types(c.outputs.map((x) => x.dtype)),
        f: attr.func(c.functionName),
      }),
    );
    signatureInputs.set(c.name, phs);
    signatureOutputs.set(c.name, call);
  }
  const filename = unique("saver_filename");
  nodes.push(node(filename, "Placeholder", [], { dtype: attr.type("string"), shape: attr.shape([]) }));
  const handles = variables.map((v) => handleOf.get(v.nodeId)!);
  const saveFn = saveFunction(`__inference__traced_save_${uid}`, variables, objectGraph);
  const restoreFn = restoreFunction(`__inference__traced_restore_${uid + 1}`, variables);
  const tin = attr.types(["string", ...handles.map(() => DataType.DT_RESOURCE)]);
  const save = unique("StatefulPartitionedCall");
  nodes.push(node(save, "StatefulPartitionedCall", [filename, ...handles], { Tin: tin, Tout: attr.types(["string"]), f: attr.func(saveFn.signature!.name) }));
  const restore = unique("StatefulPartitionedCall");
  nodes.push(
    node(restore, "StatefulPartitionedCall", [filename, ...handles], { Tin: tin, Tout: attr.types(["string"]), f: attr.func(restoreFn.signature!.name) }),
  );
  return { nodes, functions: [saveFn, restoreFn], signatureInputs, signatureOutputs, saver: { filename, save, restore } };
}

function resourceArgs(variables: readonly SavedVariableInfo[]) {
  return variables.map((v, i) =>
    create(OpDef_ArgDefSchema, {
      name: `resource_${i}`,
      type: DataType.DT_RESOURCE,
      handleData: [{ dtype: dtypeToProto(v.dtype), shape: shapeToProto(v.shape) }],
    }),
  );
}

/** SaveV2 of every variable (read from its handle) and of the object graph, at the prefix given. */
function saveFunction(name: string, variables: readonly SavedVariableInfo[], objectGraph: Uint8Array): FunctionDef {
  const keys = [...variables.map((v) => v.key), OBJECT_GRAPH_PROTO_KEY];
  const reads = variables.map((v, i) => node(`ReadVariableOp_${i}`, "ReadVariableOp", [`resource_${i}`], { dtype: attr.type(v.dtype) }));
  const nodes = [
    ...reads,
    stringConst("SaveV2/tensor_names", keys),
    stringConst(
      "SaveV2/shape_and_slices",
      keys.map(() => ""),
    ),
    stringConst("object_graph", [objectGraph], true),
    node(
      "SaveV2",
      "SaveV2",
      ["file_prefix", "SaveV2/tensor_names:output:0", "SaveV2/shape_and_slices:output:0", ...reads.map((r) => `${r.name}:value:0`), "object_graph:output:0"],
      { dtypes: attr.types([...variables.map((v) => v.dtype), "string"]) },
    ),
    node("Identity", "Identity", ["file_prefix", "^SaveV2"], { T: attr.type("string") }),
  ];
  return create(FunctionDefSchema, {
    signature: {
      name,
      inputArg: [create(OpDef_ArgDefSchema, { name: "file_prefix", type: DataType.DT_STRING }), ...resourceArgs(variables)],
      outputArg: [create(OpDef_ArgDefSchema, { name: "identity", type: DataType.DT_STRING })],
      isStateful: true,
      controlOutput: ["SaveV2"],
    },
    nodeDef: nodes,
    ret: { identity: "Identity:output:0" },
    controlRet: { SaveV2: "SaveV2" },
  });
}

/** RestoreV2 of every variable's key at the prefix given, each assigned to its handle. */
function restoreFunction(name: string, variables: readonly SavedVariableInfo[]): FunctionDef {
  const keys = variables.map((v) => v.key);
  const assigns = variables.map((v, i) =>
    node(`AssignVariableOp_${i}`, "AssignVariableOp", [`resource_${i}`, `RestoreV2:tensors:${i}`], { dtype: attr.type(v.dtype) }),
  );
  const nodes = [
    stringConst("RestoreV2/tensor_names", keys),
    stringConst(
      "RestoreV2/shape_and_slices",
      keys.map(() => ""),
    ),
    node("RestoreV2", "RestoreV2", ["file_prefix", "RestoreV2/tensor_names:output:0", "RestoreV2/shape_and_slices:output:0"], {
      dtypes: attr.types(variables.map((v) => v.dtype)),
    }),
    ...assigns,
    node(
      "NoOp",
      "NoOp",
      assigns.map((a) => `^${a.name}`),
    ),
    node("Identity", "Identity", ["file_prefix", "^NoOp"], { T: attr.type("string") }),
  ];
  return create(FunctionDefSchema, {
    signature: {
      name,
      inputArg: [create(OpDef_ArgDefSchema, { name: "file_prefix", type: DataType.DT_STRING }), ...resourceArgs(variables)],
      outputArg: [create(OpDef_ArgDefSchema, { name: "identity", type: DataType.DT_STRING })],
      isStateful: true,
      controlOutput: assigns.map((a) => a.name),
    },
    nodeDef: nodes,
    ret: { identity: "Identity:output:0" },
    controlRet: Object.fromEntries(assigns.map((a) => [a.name, a.name])),
  });
}
