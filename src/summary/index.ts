/**
 * tf.summary as users see it (docs/ARCHITECTURE.md "summary/"): TensorFlow 2's writer API and summary
 * functions (which in a TensorFlow 1 graph build TF1's summary ops), the default step, TF1's merge/mergeAll
 * and FileWriter, and summaryIterator / EventFileLoader for reading event files back.
 */
import { summaryIterator } from "./event_reader.js";
import { FileWriter } from "./file_writer.js";
import { summaryMessage } from "./summary_init.js";
import { audioV1, histogramV1, imageV1, merge, mergeAll, scalarV1, tensorSummaryV1, textV1 } from "./tf1.js";
import { audio, createFileWriter, flush, getStep, histogram, image, recordIf, SummaryWriter, scalar, setStep, text } from "./tf2.js";

export { EventFileLoader } from "./event_reader.js";

export const summary = {
  createFileWriter,
  SummaryWriter,
  scalar,
  histogram,
  image,
  text,
  audio,
  flush,
  recordIf,
  summaryIterator,
  experimental: { setStep, getStep },
  // TensorFlow 1 names that TensorFlow 2 dropped, kept here for TF1 code (tf.summary.merge_all, FileWriter).
  merge,
  mergeAll,
  tensorSummary: tensorSummaryV1,
  FileWriter,
};

/** tf.compat.v1.summary: TensorFlow 1's summary ops, merge/mergeAll, FileWriter and summaryIterator. */
export const compatV1Summary = {
  scalar: scalarV1,
  histogram: histogramV1,
  image: imageV1,
  audio: audioV1,
  text: textV1,
  tensorSummary: tensorSummaryV1,
  merge,
  mergeAll,
  FileWriter,
  summaryIterator,
};
/** tf.compat.v1.Summary: a Summary proto built by hand. */
export { summaryMessage };
