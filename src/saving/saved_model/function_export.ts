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
import type { Shape } from "../../core/shape.js";
import { funcAttrName, getFunction } from "../../graph/func_graph.js";
import type { Graph } from "../../graph/graph.js";
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

/** The FunctionDef of `cf` named `name`, and the FunctionDefs of the cond branches and loop bodies it calls. */
export function exportConcreteFunction(cf: ConcreteFunction, name: string): ExportedFunction & { readonly library: readonly FunctionDef[] } {
  const captured = cf.graph.capturedVariables();
  const library = new Map<string, FunctionDef>();
  const def = exportBody(
    {
      name,
      what: `tf.saved_model.save: function ${cf.name}`,
      inputs: cf.inputs,
      resources: captured.map(({ variable, nodes }) => ({ op: nodes.op, argBase: `${nodes.op.name}_resource`, dtype: variable.dtype, shape: variable.shape })),
      outputs: cf.outputs,
      targets: cf.targets,
      userNames: true,
    },
    library,
  );
  return { def, captured: captured.map((c) => c.variable), library: [...library.values()] };
}

/** A variable a function takes as a DT_RESOURCE argument: the node standing for it in the traced graph. */
interface ResourceArg {
  /** A captured VariableV2 node (a trace), or the argument Placeholder of a branch or loop body. */
  readonly op: Operation;
  readonly argBase: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

interface BodySpec {
  readonly name: string;
  readonly what: string;
  /** Tensor arguments (placeholders), in order; resource arguments come after them unless `order` says otherwise. */
  readonly inputs: readonly SymbolicTensor[];
  readonly resources: readonly ResourceArg[];
  /** The argument order as placeholders, where resources are interleaved (a body's captured variables). */
  readonly order?: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  readonly targets: readonly Operation[];
  /** Record each tensor argument's placeholder name as its _user_specified_name (a traced tf.function's arguments). */
  readonly userNames: boolean;
}

const IF_OPS = new Set(["If", "StatelessIf"]);
const WHILE_OPS = new Set(["While", "StatelessWhile"]);

/** A traced graph (a tf.function's, or a branch's or loop body's) as a FunctionDef; the bodies it calls go to `library`. */
function exportBody(spec: BodySpec, library: Map<string, FunctionDef>): FunctionDef {
  const { what } = spec;
  const used = new Set<string>();
  const argOf = new Map<SymbolicTensor, string>();
  const resourceOf = new Map<Operation, string>();
  const tensorArg = (ph: SymbolicTensor) => {
    const n = argName(ph.op.name, used);
    argOf.set(ph, n);
    return create(OpDef_ArgDefSchema, { name: n, type: dtypeToProto(ph.dtype) });
  };
  const resourceArg = (r: ResourceArg) => {
    const n = argName(r.argBase, used);
    resourceOf.set(r.op, n);
    return create(OpDef_ArgDefSchema, { name: n, type: DataType.DT_RESOURCE, handleData: [{ dtype: dtypeToProto(r.dtype), shape: shapeToProto(r.shape) }] });
  };
  const byOp = new Map(spec.resources.map((r) => [r.op, r]));
  const inputArg =
    spec.order === undefined
      ? [...spec.inputs.map(tensorArg), ...spec.resources.map(resourceArg)]
      : spec.order.map((ph) => {
          const r = byOp.get(ph.op);
          return r !== undefined ? resourceArg(r) : tensorArg(ph);
        });

  const nodes: NodeDef[] = [];
  /** Where a tensor of the trace is found in the FunctionDef. */
  const refOf = new Map<SymbolicTensor, string>();
  const ref = (t: SymbolicTensor): string => {
    const arg = argOf.get(t) ?? resourceOf.get(t.op);
    if (arg !== undefined) return arg;
    const r = refOf.get(t);
    if (r !== undefined) return r;
    return `${t.op.name}:${outputRef(t.op.def, t.op.outputs.length, t.valueIndex)}`;
  };
  const controlOf = (op: Operation) => op.controlInputs.filter((c) => !resourceOf.has(c) && c.type !== "Placeholder").map((c) => `^${c.name}`);
  const variableArg = (t: SymbolicTensor | undefined): string | undefined => (t === undefined ? undefined : resourceOf.get(t.op));
  const isResource = (t: SymbolicTensor) => resourceOf.has(t.op);

  const ops = pruneAndOrder(spec.outputs, spec.targets, new Set(spec.inputs));
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
    if (IF_OPS.has(op.type) || WHILE_OPS.has(op.type)) {
      const nd = controlFlowNode(op, ref, controlOf(op), isResource, library, what);
      nodes.push(nd);
      if (nd.op === "If" || nd.op === "While") stateful = true;
      continue;
    }
    const refInput = op.inputs.find(isResource);
    if (refInput !== undefined) {
      throw new UnimplementedError(
        `${what}: node ${op.name} (${op.type}) updates variable ${refInput.op.name}; only reads and assign/assignAdd/assignSub can be saved`,
      );
    }
    if (op.type === "WhileGrad") {
      throw new UnimplementedError(`${what}: node ${op.name} (${op.type}): the gradient of a tf.whileLoop inside a saved function is not supported yet`);
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
  const outputArg = spec.outputs.map((t, i) =>
    create(OpDef_ArgDefSchema, { name: argName(`output_${i}`, outUsed), type: isResource(t) ? DataType.DT_RESOURCE : dtypeToProto(t.dtype) }),
  );
  const ret: Record<string, string> = {};
  spec.outputs.forEach((t, i) => {
    ret[outputArg[i].name] = ref(t);
  });
  const controlRet: Record<string, string> = {};
  for (const op of spec.targets) if (!resourceOf.has(op)) controlRet[op.name] = op.name;
  const argAttr: FunctionDef["argAttr"] = {};
  if (spec.userNames) {
    spec.inputs.forEach((ph, i) => {
      argAttr[i] = {
        $typeName: "tensorflow.FunctionDef.ArgAttrs",
        attr: { _user_specified_name: create(AttrValueSchema, { value: { case: "s", value: utf8.encode(ph.op.name) } }) },
      };
    });
  }
  return create(FunctionDefSchema, {
    signature: { name: spec.name, inputArg, outputArg, isStateful: stateful, controlOutput: Object.keys(controlRet) },
    nodeDef: nodes,
    ret,
    controlRet,
    argAttr,
  });
}

/**
 * An If / StatelessIf / While / StatelessWhile node as TensorFlow 2 writes it (cond_v2, while_v2): its
 * `then_branch` / `else_branch` or `cond` / `body` func attrs name FunctionDefs written to `library`; a variable
 * passed in (tsflow passes a body's captured variables as references) is a DT_RESOURCE input, so its entry of
 * `Tin` / `T` is DT_RESOURCE and the body takes it as a resource argument (a loop body returns it unchanged).
 */
function controlFlowNode(
  op: Operation,
  ref: (t: SymbolicTensor) => string,
  control: string[],
  isResource: (t: SymbolicTensor) => boolean,
  library: Map<string, FunctionDef>,
  what: string,
): NodeDef {
  const nd = opToNodeDef(op);
  nd.input = [...op.inputs.map(ref), ...control];
  const isIf = IF_OPS.has(op.type);
  const args = isIf ? op.inputs.slice(1) : op.inputs;
  const resourceAt = args.map(isResource);
  const types = args.map((t, i) => (resourceAt[i] ? DataType.DT_RESOURCE : dtypeToProto(t.dtype)));
  const typesAttr = create(AttrValueSchema, { value: { case: "list", value: { type: types } } });
  if (isIf) nd.attr.Tin = typesAttr;
  else nd.attr.T = typesAttr;
  let stateful = false;
  for (const attr of isIf ? ["then_branch", "else_branch"] : ["cond", "body"]) {
    const fn = getFunction(op.graph as Graph, funcAttrName(op.attrs[attr]));
    const done = library.get(fn.name);
    if (done !== undefined) {
      stateful ||= done.signature!.isStateful;
      continue;
    }
    const resources: ResourceArg[] = [];
    fn.inputs.forEach((ph, i) => {
      const outer = args[i];
      if (resourceAt[i]) resources.push({ op: ph.op, argBase: `${outer.op.name}_resource`, dtype: ph.dtype, shape: ph.shape });
    });
    library.set(
      fn.name,
      exportBody(
        {
          name: fn.name,
          what: `${what}: ${op.type} ${op.name}'s ${attr} ${fn.name}`,
          inputs: fn.inputs.filter((_, i) => !resourceAt[i]),
          resources,
          order: fn.inputs,
          outputs: fn.outputs,
          targets: fn.targets,
          userNames: false,
        },
        library,
      ),
    );
    stateful ||= library.get(fn.name)!.signature!.isStateful;
  }
  // TensorFlow's ReadVariableOp is stateful, so a body reading a variable makes the node If / While
  // (tsflow's own graphs call a read stateless).
  if (stateful) nd.op = isIf ? "If" : "While";
  return nd;
}
