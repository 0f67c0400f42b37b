/**
 * tsflow function graph -> TensorFlow FunctionDef: a tf.function's trace (a ConcreteFunction) written as a
 * function of a SavedModel's library, as TensorFlow 2 writes them: arguments first (the trace's placeholders),
 * then one DT_RESOURCE argument per captured variable; the variable's reads become ReadVariableOp and its
 * assignments AssignVariableOp / AssignAddVariableOp / AssignSubVariableOp on that argument; inputs are named
 * "node:output_arg:index" with TensorFlow's output arg names; the ops run for their effect are the
 * function's control outputs (TensorFlow's runtime runs only what outputs and control outputs need).
 */
import { create } from "@bufbuild/protobuf";
import type { DType } from "../../core/dtype.js";
import { UnimplementedError } from "../../core/errors.js";
import type { ConcreteFunction } from "../../function/concrete_function.js";
import { opToNodeDef } from "../../graph/graph_def.js";
import type { Operation } from "../../graph/operation.js";
import type { SymbolicTensor } from "../../graph/tensor.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { shapeToProto } from "../../io/tensor_proto.js";
import { pruneAndOrder } from "../../runtime/plan.js";
import { type AttrValue, AttrValueSchema } from "../../proto/tensorflow/core/framework/attr_value_pb.js";
import { type FunctionDef, FunctionDefSchema } from "../../proto/tensorflow/core/framework/function_pb.js";
import { type NodeDef, NodeDefSchema } from "../../proto/tensorflow/core/framework/node_def_pb.js";
import { OpDef_ArgDefSchema } from "../../proto/tensorflow/core/framework/op_def_pb.js";
import { DataType } from "../../proto/tensorflow/core/framework/types_pb.js";
import type { Variable } from "../../variables/variable.js";
import { outputRef } from "./op_outputs.js";

const VARIABLE_WRITES: Record<string, string> = { Assign: "AssignVariableOp", AssignAdd: "AssignAddVariableOp", AssignSub: "AssignSubVariableOp" };
const utf8 = new TextEncoder();

/** A FunctionDef and the variables its resource arguments stand for (in argument order, after the inputs). */
export interface ExportedFunction {
  readonly def: FunctionDef;
  readonly captured: readonly Variable[];
}

/** A valid, unique argument name (TensorFlow's arg names match [a-z][a-z0-9_]*). */
function argName(raw: string, used: Set<string>): string {
  let base = raw
    .toLowerCase()
    .replace(/:\d+$/, "")
    .replace(/[^a-z0-9_]/g, "_");
  if (!/^[a-z]/.test(base)) base = `arg_${base}`;
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

function typeAttr(dtype: DType): AttrValue {
  return create(AttrValueSchema, { value: { case: "type", value: dtypeToProto(dtype) } });
}

/** The FunctionDef of `cf` named `name`. */
export function exportConcreteFunction(cf: ConcreteFunction, name: string): ExportedFunction {
  const what = `tf.saved_model.save: function ${cf.name}`;
  const used = new Set<string>();
  const argOf = new Map<SymbolicTensor, string>();
  const inputArg = cf.inputs.map((ph) => {
    const n = argName(ph.op.name, used);
    argOf.set(ph, n);
    return create(OpDef_ArgDefSchema, { name: n, type: dtypeToProto(ph.dtype) });
  });
  const resourceOf = new Map<Operation, string>();
  const captured = cf.graph.capturedVariables();
  for (const { variable, nodes } of captured) {
    const n = argName(`${nodes.op.name}_resource`, used);
    resourceOf.set(nodes.op, n);
    inputArg.push(
      create(OpDef_ArgDefSchema, {
        name: n,
        type: DataType.DT_RESOURCE,
        handleData: [{ dtype: dtypeToProto(variable.dtype), shape: shapeToProto(variable.shape) }],
      }),
    );
  }

  const nodes: NodeDef[] = [];
  /** Where a tensor of the trace is found in the FunctionDef. */
  const refOf = new Map<SymbolicTensor, string>();
  const ref = (t: SymbolicTensor): string => {
    const arg = argOf.get(t);
    if (arg !== undefined) return arg;
    const r = refOf.get(t);
    if (r !== undefined) return r;
    return `${t.op.name}:${outputRef(t.op.def, t.op.outputs.length, t.valueIndex)}`;
  };
  const controlOf = (op: Operation) => op.controlInputs.filter((c) => !resourceOf.has(c) && c.type !== "Placeholder").map((c) => `^${c.name}`);
  const variableArg = (t: SymbolicTensor | undefined): string | undefined => (t === undefined ? undefined : resourceOf.get(t.op));

  const ops = pruneAndOrder(cf.outputs, cf.targets, new Set(cf.inputs));
  let stateful = false;
  for (const op of ops) {
    if (argOf.has(op.outputs[0]) || resourceOf.has(op)) continue;
    const res = variableArg(op.inputs[0]);
    if (op.type === "Identity" && res !== undefined) {
      nodes.push(
        create(NodeDefSchema, { name: op.name, op: "ReadVariableOp", input: [res, ...controlOf(op)], attr: { dtype: typeAttr(op.outputs[0].dtype) } }),
      );
      refOf.set(op.outputs[0], `${op.name}:value:0`);
      stateful = true;
      continue;
    }
    if (VARIABLE_WRITES[op.type] !== undefined && res !== undefined) {
      nodes.push(
        create(NodeDefSchema, {
          name: op.name,
          op: VARIABLE_WRITES[op.type],
          input: [res, ref(op.inputs[1]), ...controlOf(op)],
          attr: { dtype: typeAttr(op.inputs[1].dtype) },
        }),
      );
      // TensorFlow 1's assign returns the new value: a read after the write.
      const read = `${op.name}/read_after`;
      nodes.push(create(NodeDefSchema, { name: read, op: "ReadVariableOp", input: [res, `^${op.name}`], attr: { dtype: typeAttr(op.inputs[1].dtype) } }));
      refOf.set(op.outputs[0], `${read}:value:0`);
      stateful = true;
      continue;
    }
    const refInput = op.inputs.find((t) => resourceOf.has(t.op));
    if (refInput !== undefined) {
      throw new UnimplementedError(
        `${what}: node ${op.name} (${op.type}) updates variable ${refInput.op.name}; only reads and assign/assignAdd/assignSub can be saved`,
      );
    }
    if (op.type === "If" || op.type === "While" || op.type === "StatelessIf" || op.type === "StatelessWhile" || op.type === "WhileGrad") {
      throw new UnimplementedError(`${what}: node ${op.name} (${op.type}): control flow inside a saved function is not supported yet`);
    }
    if (op.type === "Placeholder") {
      throw new UnimplementedError(`${what}: node ${op.name} is a placeholder that is not an input of the function`);
    }
    if (op.def.stateful) stateful = true;
    const nd = opToNodeDef(op);
    nd.input = [...op.inputs.map(ref), ...controlOf(op)];
    nodes.push(nd);
  }

  const outUsed = new Set<string>();
  const outputArg = cf.outputs.map((t, i) => create(OpDef_ArgDefSchema, { name: argName(`output_${i}`, outUsed), type: dtypeToProto(t.dtype) }));
  const ret: Record<string, string> = {};
  cf.outputs.forEach((t, i) => {
    ret[outputArg[i].name] = ref(t);
  });
  const controlRet: Record<string, string> = {};
  for (const op of cf.targets) if (!resourceOf.has(op)) controlRet[op.name] = op.name;
  const argAttr: FunctionDef["argAttr"] = {};
  cf.inputs.forEach((ph, i) => {
    argAttr[i] = {
      $typeName: "tensorflow.FunctionDef.ArgAttrs",
      attr: { _user_specified_name: create(AttrValueSchema, { value: { case: "s", value: utf8.encode(ph.op.name) } }) },
    };
  });
  const def = create(FunctionDefSchema, {
    signature: { name, inputArg, outputArg, isStateful: stateful, controlOutput: Object.keys(controlRet) },
    nodeDef: nodes,
    ret,
    controlRet,
    argAttr,
  });
  return { def, captured: captured.map((c) => c.variable) };
}
