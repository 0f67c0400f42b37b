/**
 * tf.summary as users see it (docs/ARCHITECTURE.md "summary/"): TensorFlow 2's writer API and summary
 * functions, the default step, and summaryIterator / EventFileLoader for reading event files back.
 */
import { summaryIterator } from "./event_reader.js";
import { FileWriter } from "./file_writer.js";
import { summaryMessage } from "./summary_init.js";
import { createFileWriter, flush, getStep, histogram, image, recordIf, SummaryWriter, scalar, setStep, text } from "./tf2.js";

export { EventFileLoader } from "./event_reader.js";

export const summary = {
  createFileWriter,
  SummaryWriter,
  scalar,
  histogram,
  image,
  text,
  flush,
  recordIf,
  summaryIterator,
  experimental: { setStep, getStep },
};

/** tf.compat.v1.summary: TensorFlow 1's FileWriter (the summary ops are not built yet) and summaryIterator. */
export const compatV1Summary = { FileWriter, summaryIterator };
/** tf.compat.v1.Summary: a Summary proto built by hand. */
export { summaryMessage };
