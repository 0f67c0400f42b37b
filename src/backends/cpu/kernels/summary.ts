import type { Values } from "../../../core/dtype.js";
import { audioSummary, histogramSummary, imageSummary, mergeSummaries, scalarSummary, tensorSummary } from "../../../io/summary_v1.js";
import { type CpuTensor, type KernelTable, out } from "../kernel.js";

/** A scalar string tensor holding a serialized Summary (as latin1). */
const summary = (s: string): CpuTensor[] => [out("string", [], [s])];

/** TensorFlow 1's summary ops (io/summary_v1.ts computes their protos); their output stays on the host. */
export const summaryKernels: KernelTable = {
  ScalarSummary: ([tags, values]) => summary(scalarSummary(tags, values)),
  HistogramSummary: ([tag, values]) => summary(histogramSummary(tag, values)),
  ImageSummary: ([tag, tensor], attrs) =>
    summary(imageSummary(tag, tensor, attrs.max_images as number, attrs.bad_color as unknown as { dtype: "uint8"; shape: number[]; values: Values })),
  AudioSummaryV2: ([tag, tensor, sampleRate], attrs) => summary(audioSummary(tag, tensor, sampleRate, attrs.max_outputs as number)),
  TensorSummaryV2: ([tag, tensor, metadata]) => summary(tensorSummary(tag, tensor, metadata)),
  MergeSummary: (inputs) => summary(mergeSummaries(inputs)),
};
