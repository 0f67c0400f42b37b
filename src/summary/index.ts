/**
 * tf.summary as users see it (docs/ARCHITECTURE.md "summary/"): TensorFlow 2's writer API and summary
 * functions, the default step, and summaryIterator / EventFileLoader for reading event files back.
 */
import { summaryIterator } from "./event_reader.js";
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
