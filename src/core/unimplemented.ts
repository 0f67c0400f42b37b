/**
 * Stand-ins for TensorFlow modules and classes that tsflow does not have yet (tf.keras, tf.data, ...).
 * Touching one — calling it, constructing it, reading a member's member, converting it — raises
 * tf.errors.UnimplementedError naming the whole member path ("tf.keras.layers.Dense"), instead of
 * JavaScript's "Cannot read properties of undefined". Reading members only builds the path, so that
 * `import * as tf` introspection (console.log(tf), Object.keys(tf)) keeps working. When the real module
 * lands, its one `notImplemented(...)` line in index.ts (or train/index.ts) is replaced by the export.
 */
import { inspect } from "node:util";
import { UnimplementedError } from "./errors.js";

/**
 * The TypeScript face of a stand-in: any member path, callable and constructible, giving `never`, so
 * that code using what it returns does not type-check either.
 */
export interface NotImplemented {
  readonly [member: string]: NotImplemented;
  (...args: unknown[]): never;
  new (...args: unknown[]): never;
}

/** `root` ("tf.keras") is what is missing; `hint` says what to use meanwhile. */
export function notImplemented(root: string, hint = ""): NotImplemented {
  return stub(root, root, hint);
}

function stub(root: string, path: string, hint: string): NotImplemented {
  const fail = (what: string): never => {
    throw new UnimplementedError(`${root} is not implemented yet in tsflow: ${what}${hint ? `. ${hint}` : ""}`);
  };
  const describe = () => `[${path}: not implemented yet in tsflow]`;
  // A function target, so that the apply and construct traps exist.
  const target = function notImplementedYet() {};
  Object.defineProperty(target, "name", { value: `${path} (not implemented yet)` });
  return new Proxy(target, {
    get(_t, key) {
      if (key === inspect.custom || key === "toString" || key === Symbol.toStringTag) return key === Symbol.toStringTag ? "NotImplemented" : describe;
      // Not a thenable: `await tf.keras` and Promise.resolve(tf.data) must not call `then`.
      if (key === "then") return undefined;
      if (key === Symbol.toPrimitive) return () => fail(`${path} was used as a value`);
      if (typeof key === "symbol") return undefined;
      return stub(root, `${path}.${key}`, hint);
    },
    apply: () => fail(`${path}() was called`),
    construct: () => fail(`new ${path}() was called`),
    set: (_t, key) => fail(`${path}.${String(key)} was assigned`),
    has: () => false,
    ownKeys: () => Reflect.ownKeys(target),
    getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(target, key),
  }) as unknown as NotImplemented;
}
