/**
 * The seed tutorial's first session snippets: tf.add(3, 5) run in a Session, and a small graph where
 * fetching [pow_op, useless] runs only what those two need.
 *   node --import tsx examples/seed_sessions.ts
 */
import * as tf from "tsflowjs";

export function run(): { sum: number; z: number; notUseless: number; printed: string } {
  tf.compat.v1.disableEagerExecution();
  try {
    tf.resetDefaultGraph();
    const a = tf.add(3, 5, "Add");
    const printed = a.toString();
    console.log(printed); // Tensor("Add:0", shape=[], dtype=float32)
    let sum: number;
    {
      using sess = new tf.Session();
      sum = (sess.run(a) as tf.EagerTensor).item();
      console.log(sum); // 8
    }

    const x = 2;
    const y = 3;
    const addOp = tf.add(x, y);
    const mulOp = tf.mul(x, y);
    const useless = tf.mul(x, addOp);
    const powOp = tf.pow(addOp, mulOp);
    using sess = new tf.Session();
    const [z, notUseless] = (sess.run([powOp, useless]) as tf.EagerTensor[]).map((t) => t.item());
    console.log(z, notUseless); // 15625 10
    return { sum, z, notUseless, printed };
  } finally {
    tf.resetDefaultGraph();
    tf.compat.v1.enableEagerExecution();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) run();
