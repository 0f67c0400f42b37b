/** The option and metadata records of TensorFlow 1.x's Session API (tf.compat.v1.ConfigProto and friends). */
import { declare, kind, optional, parseArgs, signature } from "../core/signature.js";
import type { StepStats } from "../core/step_stats.js";
import { runMetadataFromBinary, runMetadataToBinary } from "./step_stats_proto.js";

/**
 * ConfigProto's fields, each nameable: `new tf.ConfigProto({ logDevicePlacement: true })`. A protocol buffer
 * has no positional arguments; they are declared in the proto's field order all the same.
 */
const configSignature = signature(
  "compat.v1.ConfigProto",
  "Session options (a protocol buffer in TensorFlow: pass its fields by name).",
  [
    optional("deviceCount", kind<Record<string, number>>("Record<string, number>"), "Devices of each type to use (accepted; not enforced yet)."),
    optional("intraOpParallelismThreads", kind<number>("int"), "Threads inside one op (accepted; not used yet)."),
    optional("interOpParallelismThreads", kind<number>("int"), "Threads across ops (accepted; not used yet)."),
    optional(
      "gpuOptions",
      kind<{ allowGrowth?: boolean; perProcessGpuMemoryFraction?: number }>("{ allowGrowth?, perProcessGpuMemoryFraction? }"),
      "GPU memory options.",
    ),
    optional("allowSoftPlacement", kind<boolean>("boolean"), "Places an op on another device when the requested one cannot run it."),
    optional("logDevicePlacement", kind<boolean>("boolean"), "Prints the device each op is placed on."),
  ],
  { args: () => [undefined, undefined, undefined, undefined, true, false] },
);
const runOptionsSignature = signature(
  "compat.v1.RunOptions",
  "Options of one Session.run (a protocol buffer in TensorFlow: pass its fields by name).",
  [optional("traceLevel", kind<number>("int"), "RunOptions.NO_TRACE ... FULL_TRACE (3: fills RunMetadata.stepStats).")],
  { args: () => [3] },
);

/** tf.compat.v1.ConfigProto(...): `new tf.ConfigProto({ logDevicePlacement: true })`. */
export class ConfigProto {
  allowSoftPlacement?: boolean;
  logDevicePlacement?: boolean;
  deviceCount?: Record<string, number>;
  interOpParallelismThreads?: number;
  intraOpParallelismThreads?: number;
  gpuOptions?: { allowGrowth?: boolean; perProcessGpuMemoryFraction?: number };
  constructor(...args: [fields?: Partial<ConfigProto>]) {
    const [deviceCount, intra, inter, gpuOptions, allowSoftPlacement, logDevicePlacement] = parseArgs(configSignature, args);
    const given = { deviceCount, intraOpParallelismThreads: intra, interOpParallelismThreads: inter, gpuOptions, allowSoftPlacement, logDevicePlacement };
    for (const [k, v] of Object.entries(given)) if (v !== undefined) (this as Record<string, unknown>)[k] = v;
  }
}
declare(ConfigProto, configSignature);

/** tf.compat.v1.RunOptions: traceLevel FULL_TRACE fills a RunMetadata's stepStats. */
export class RunOptions {
  static readonly NO_TRACE = 0;
  static readonly SOFTWARE_TRACE = 1;
  static readonly HARDWARE_TRACE = 2;
  static readonly FULL_TRACE = 3;
  traceLevel?: number;
  constructor(...args: [fields?: { traceLevel?: number }] | [traceLevel?: number]) {
    [this.traceLevel] = parseArgs(runOptionsSignature, args);
  }
}
declare(RunOptions, runOptionsSignature);

const runMetadataSignature = signature("compat.v1.RunMetadata", "Filled by Session.run when tracing (RunOptions.FULL_TRACE).", [], { args: () => [] });

/**
 * tf.compat.v1.RunMetadata: filled by Session.run when tracing. `stepStats` holds TensorFlow's StepStats
 * (per device, per node: times, memory, outputs) as plain objects; `serializeToString()` writes TensorFlow's
 * RunMetadata proto and `RunMetadata.fromString(bytes)` reads one.
 */
export class RunMetadata {
  stepStats?: StepStats;
  constructor(...args: [options?: Record<string, never>]) {
    parseArgs(runMetadataSignature, args);
  }

  /** TensorFlow's RunMetadata proto bytes (Python's SerializeToString). */
  serializeToString(): Uint8Array {
    return runMetadataToBinary(this.stepStats);
  }

  /** A RunMetadata read from TensorFlow's proto bytes (Python's RunMetadata.FromString). */
  static fromString(bytes: Uint8Array): RunMetadata {
    const m = new RunMetadata();
    const stats = runMetadataFromBinary(bytes);
    if (stats) m.stepStats = stats;
    return m;
  }
}
declare(RunMetadata, runMetadataSignature);
