import * as tf from "../../src/index.js";

/** What tf.config.experimental.setTsflowOptions takes: tsflow settings by key. */
export type Options = Parameters<typeof tf.config.experimental.setTsflowOptions>[0];

/** Runs fn with some tsflow settings changed through tf.config, restoring their previous values after. */
export function withOptions<T>(patch: Options, fn: () => T): T {
  const all = tf.config.experimental.getTsflowOptions();
  const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, all[k as keyof typeof all]])) as Options;
  tf.config.experimental.setTsflowOptions(patch);
  try {
    return fn();
  } finally {
    tf.config.experimental.setTsflowOptions(saved);
  }
}
