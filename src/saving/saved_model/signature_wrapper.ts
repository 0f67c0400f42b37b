/**
 * A signature's FunctionDef, as TensorFlow writes it: it takes the signature's inputs by name (sorted), then
 * the variables of the function it wraps, calls that function with a StatefulPartitionedCall and returns its
 * outputs through Identity nodes; the SavedConcreteFunction records the inputs as keyword arguments and the
 * outputs as a dict (keys sorted, the order of the function's outputs).
 */
import { create } from "@bufbuild/protobuf";
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import type { ConcreteFunction } from "../../function/concrete_function.js";
import { SymbolicTensor } from "../../graph/tensor.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { type FunctionDef, FunctionDefSchema } from "../../proto/tensorflow/core/framework/function_pb.js";
import { OpDef_ArgDefSchema } from "../../proto/tensorflow/core/framework/op_def_pb.js";
import { DataType } from "../../proto/tensorflow/core/framework/types_pb.js";
import { attr, node } from "./proto_build.js";

export interface NamedSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface SignatureFunction {
  readonly def: FunctionDef;
  /** The signature's inputs and outputs, sorted by name (the function's argument and output order). */
  readonly inputs: readonly NamedSpec[];
  readonly outputs: readonly NamedSpec[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The named outputs of `cf` (a tensor alone is output_0, an array's are output_0, ...; an object's by key). */
function namedOutputs(cf: ConcreteFunction, sigName: string): { name: string; index: number }[] {
  const s = cf.structuredOutputs;
  let names: string[];
  if (s instanceof SymbolicTensor) names = ["output_0"];
  else if (Array.isArray(s)) names = s.map((_, i) => `output_${i}`);
  else if (s !== null && typeof s === "object") names = Object.keys(s);
  else names = [];
  const leaves = s instanceof SymbolicTensor ? [s] : Array.isArray(s) ? s : s !== null && typeof s === "object" ? Object.values(s) : [];
  if (leaves.length !== cf.outputs.length || leaves.some((t) => !(t instanceof SymbolicTensor))) {
    throw new InvalidArgumentError(`tf.saved_model.save: signature ${sigName} must return a tensor, an array of tensors or an object of tensors`);
  }
  return names.map((name, index) => ({ name, index }));
}

/** The wrapper of `inner` (whose FunctionDef `innerDef` takes cf's inputs then `numCaptured` resources). */
export function signatureFunction(cf: ConcreteFunction, innerDef: FunctionDef, numCaptured: number, name: string, sigName: string): SignatureFunction {
  const inputs = cf.inputs.map((ph, i) => ({ name: ph.op.name, dtype: ph.dtype, shape: ph.shape, index: i }));
  for (const x of inputs) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(x.name)) {
      throw new InvalidArgumentError(
        `tf.saved_model.save: signature ${sigName}: input name ${x.name} is not a valid name; name the inputs with tf.TensorSpec(shape, dtype, name)`,
      );
    }
  }
  if (new Set(inputs.map((x) => x.name.toLowerCase())).size !== inputs.length) {
    throw new InvalidArgumentError(`tf.saved_model.save: signature ${sigName} has inputs named alike: ${inputs.map((x) => x.name).join(", ")}`);
  }
  const sortedInputs = [...inputs].sort(byName);
  const outs = namedOutputs(cf, sigName).sort(byName);
  const argName = (x: { name: string }) => x.name.toLowerCase();
  const resourceArgs = Array.from({ length: numCaptured }, (_, i) => (i === 0 ? "unknown" : `unknown_${i - 1}`));
  const innerResources = innerDef.signature!.inputArg.slice(cf.inputs.length);
  const call = node("StatefulPartitionedCall", "StatefulPartitionedCall", [...inputs.map(argName), ...resourceArgs], {
    Tin: attr.types([...inputs.map((x) => x.dtype), ...resourceArgs.map(() => DataType.DT_RESOURCE)]),
    Tout: attr.types(cf.outputs.map((t) => t.dtype)),
    f: attr.func(innerDef.signature!.name),
  });
  const identities = outs.map((o, k) =>
    node(k === 0 ? "Identity" : `Identity_${k}`, "Identity", [`StatefulPartitionedCall:output:${o.index}`], { T: attr.type(cf.outputs[o.index].dtype) }),
  );
  const outputArg = outs.map((o, k) =>
    create(OpDef_ArgDefSchema, { name: k === 0 ? "identity" : `identity_${k}`, type: dtypeToProto(cf.outputs[o.index].dtype) }),
  );
  const def = create(FunctionDefSchema, {
    signature: {
      name,
      inputArg: [
        ...sortedInputs.map((x) => create(OpDef_ArgDefSchema, { name: argName(x), type: dtypeToProto(x.dtype) })),
        ...resourceArgs.map((n, i) => create(OpDef_ArgDefSchema, { name: n, type: DataType.DT_RESOURCE, handleData: innerResources[i]?.handleData ?? [] })),
      ],
      outputArg,
      isStateful: true,
      controlOutput: ["StatefulPartitionedCall"],
    },
    nodeDef: [call, ...identities],
    ret: Object.fromEntries(outputArg.map((a, k) => [a.name, `${identities[k].name}:output:0`])),
    controlRet: { StatefulPartitionedCall: "StatefulPartitionedCall" },
  });
  return {
    def,
    inputs: sortedInputs.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    outputs: outs.map((o) => ({ name: o.name, dtype: cf.outputs[o.index].dtype, shape: cf.outputs[o.index].shape })),
  };
}
