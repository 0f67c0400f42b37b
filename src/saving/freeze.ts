import { create } from "@bufbuild/protobuf";
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { defineFunction, kind, optional, positionalOnly, param, signature } from "../core/signature.js";
import { extractSubGraphDef } from "../graph/graph_util.js";
import { dtypeToProto } from "../io/dtype_proto.js";
import { tensorToProto } from "../io/tensor_proto.js";
import { AttrValueSchema } from "../proto/tensorflow/core/framework/attr_value_pb.js";
import { type GraphDef, GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import { type NodeDef, NodeDefSchema } from "../proto/tensorflow/core/framework/node_def_pb.js";
import type { Session } from "../runtime/session.js";

/**
 * Freezing (tf.compat.v1.graph_util.convert_variables_to_constants): the part of a GraphDef the outputs
 * need, each variable in it replaced by a Const holding its value in `sess`, so that the result runs with
 * no checkpoint. TensorFlow 1 reference variables (VariableV2) and resource variables (VarHandleOp, whose
 * ReadVariableOp readers become Identity) are both frozen.
 */

const VARIABLE_OPS: ReadonlySet<string> = new Set(["VariableV2", "Variable", "VarHandleOp"]);

const freezeSignature = signature(
  "compat.v1.graph_util.convert_variables_to_constants",
  "A copy of graphDef pruned to what outputNodeNames need, each variable replaced by a Const holding its current value in sess (freezing).",
  [
    param("sess", kind<Session>("Session"), "The session holding the variables' values."),
    positionalOnly(param("inputGraphDef", kind<GraphDef>("GraphDef"), "The GraphDef of sess's graph (graph.asGraphDef()).")),
    param("outputNodeNames", kind<string[]>("string[]"), "The names of the nodes (not tensors) the frozen graph must compute."),
    optional("variableNamesWhitelist", kind<string[]>("string[]"), "Only these variables are frozen (TensorFlow 1's name; same as variableNamesAllowlist)."),
    optional("variableNamesBlacklist", kind<string[]>("string[]"), "These variables are not frozen (TensorFlow 1's name; same as variableNamesDenylist)."),
    optional("variableNamesAllowlist", kind<string[]>("string[]"), "Only these variables are frozen (newer TensorFlow's name)."),
    optional("variableNamesDenylist", kind<string[]>("string[]"), "These variables are not frozen (newer TensorFlow's name)."),
  ],
  { skip: "needs a session with variables; covered by test/meta_graph.test.ts" },
);

export const convertVariablesToConstants = defineFunction(
  freezeSignature,
  (sess, inputGraphDef, outputNodeNames, whitelist, blacklist, allowlist, denylist): GraphDef => {
    const allow = whitelist ?? allowlist;
    const deny = blacklist ?? denylist;
    const sub = extractSubGraphDef(inputGraphDef, outputNodeNames);
    const frozen = sub.node.filter(
      (n) => VARIABLE_OPS.has(n.op) && (allow === undefined || allow.includes(n.name)) && (deny === undefined || !deny.includes(n.name)),
    );
    const names = new Set(frozen.map((n) => n.name));
    const values = frozen.length > 0 ? (sess.run(frozen.map((n) => `${n.name}:0`)) as Tensor[]) : [];
    const byName = new Map<string, Tensor>(frozen.map((n, i) => [n.name, values[i]]));
    // Resource reads of a frozen variable become Identities of its Const.
    const readsOfFrozen = (n: NodeDef) => n.op === "ReadVariableOp" && names.has(n.input[0]?.split(":")[0] ?? "");
    const node = sub.node.map((n) => {
      const v = byName.get(n.name);
      if (v !== undefined) {
        const value = tensorToProto(v.dtype as DType, v.shape as number[], v.dataSync() as Values);
        return create(NodeDefSchema, {
          name: n.name,
          op: "Const",
          device: n.device,
          attr: {
            dtype: create(AttrValueSchema, { value: { case: "type", value: dtypeToProto(v.dtype as DType) } }),
            value: create(AttrValueSchema, { value: { case: "tensor", value } }),
          },
        });
      }
      if (readsOfFrozen(n)) {
        const T = n.attr.dtype;
        return create(NodeDefSchema, { name: n.name, op: "Identity", input: n.input, device: n.device, attr: T ? { T } : {} });
      }
      for (const i of n.input) {
        const src = i.replace(/^\^/, "").split(":")[0];
        if (names.has(src) && !i.startsWith("^") && /^(Assign|ResourceApply|AssignVariableOp|Apply)/.test(n.op)) {
          throw new InvalidArgumentError(
            `convertVariablesToConstants: node ${n.name} (${n.op}) updates variable ${src}, which is being frozen; leave it out of outputNodeNames`,
          );
        }
      }
      return n;
    });
    return create(GraphDefSchema, { node, versions: sub.versions, library: sub.library });
  },
);
