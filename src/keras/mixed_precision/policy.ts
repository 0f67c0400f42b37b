/**
 * tf.keras.mixed_precision.Policy and the global policy: the dtype a layer computes in and the dtype of its
 * variables. "mixed_float16" and "mixed_bfloat16" compute in the 16-bit type with float32 variables; any
 * dtype name is a policy computing and storing in that dtype.
 */
import { DTYPES, type DType, isFloating } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { ArgsOf, declare, defineFunction, K, kind, param, parseArgs, signature } from "../../core/signature.js";

const policySignature = signature(
  "keras.mixed_precision.Policy",
  "A dtype policy: the dtype layers compute in and the dtype of their variables.",
  [param("name", K.string, 'The policy: "mixed_float16", "mixed_bfloat16", or a dtype name such as "float32".')],
  { args: () => ["mixed_float16"] },
);

export class Policy {
  readonly name: string;
  /** The dtype of the layer's computations (inputs and autocast variables are cast to it). */
  readonly computeDtype: DType;
  /** The dtype of the layer's variables. */
  readonly variableDtype: DType;
  constructor(...args: ArgsOf<typeof policySignature>) {
    const [name] = parseArgs(policySignature, args);
    this.name = name;
    if (name === "mixed_float16" || name === "mixed_bfloat16") {
      this.computeDtype = name === "mixed_float16" ? "float16" : "bfloat16";
      this.variableDtype = "float32";
    } else if ((DTYPES as readonly string[]).includes(name)) {
      this.computeDtype = this.variableDtype = name as DType;
    } else {
      throw new InvalidArgumentError(
        `Cannot convert value ${name} to a mixed precision Policy. Valid policies include 'mixed_float16', 'mixed_bfloat16', and the name of any dtype such as 'float32'.`,
      );
    }
  }
  getConfig(): { name: string } {
    return { name: this.name };
  }
  toString(): string {
    return `<Policy "${this.name}">`;
  }
}
declare(Policy, policySignature);

let global: Policy | null = null;

/** The policy layers get when their constructor is given no dtype. */
export const globalPolicy = defineFunction(
  signature("keras.mixed_precision.global_policy", "The global dtype policy (float32 unless set).", [], { args: () => [] }),
  (): Policy => (global ??= new Policy("float32")),
);

export const setGlobalPolicy = defineFunction(
  signature(
    "keras.mixed_precision.set_global_policy",
    "Sets the dtype policy of layers made from now on without a dtype.",
    [param("policy", kind<Policy | string | null>("Policy | string | null"), 'A Policy or its name ("mixed_float16"); null resets to float32.')],
    { args: () => ["float32"] },
  ),
  (policy): void => {
    const p = policy === null || policy === undefined ? new Policy("float32") : policy instanceof Policy ? policy : new Policy(policy);
    if (!isFloating(p.computeDtype)) {
      throw new InvalidArgumentError(
        `set_global_policy can only be used to set the global policy to floating-point policies, such as "float32" and "mixed_float16", but got policy: ${p.name}`,
      );
    }
    global = p;
  },
);

/** A layer's policy from its constructor's dtype argument: a Policy, a policy or dtype name, or the global policy. */
export function policyOf(dtype: Policy | string | null | undefined): Policy {
  if (dtype instanceof Policy) return dtype;
  return dtype === null || dtype === undefined ? globalPolicy() : new Policy(dtype);
}
