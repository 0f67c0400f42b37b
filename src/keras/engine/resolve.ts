/**
 * compile()'s strings and objects resolved into losses, metrics and optimizers. Names resolve through
 * tf.keras.losses/metrics/optimizers.get once those modules are wired in (registerResolvers, called by
 * keras/index.ts); objects and functions are taken as they are.
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";

type Getter = (identifier: string) => unknown;
const getters: { loss: Getter | null; metric: Getter | null; optimizer: Getter | null } = { loss: null, metric: null, optimizer: null };

/** @public (keras/index.ts wires the losses, metrics and optimizers modules' get() here as they land) */
export function registerResolvers(r: Partial<typeof getters>): void {
  Object.assign(getters, r);
}

export function resolve(kind: keyof typeof getters, identifier: unknown): unknown {
  if (typeof identifier !== "string") return identifier;
  const get = getters[kind];
  if (!get)
    throw new UnimplementedError(
      `compile: ${kind} names such as "${identifier}" need tf.keras.${kind}s, which is not implemented yet; pass a ${kind} object or function`,
    );
  const found = get(identifier);
  if (found === null || found === undefined) throw new InvalidArgumentError(`compile: unknown ${kind} "${identifier}"`);
  return found;
}
