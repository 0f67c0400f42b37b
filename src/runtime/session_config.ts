/** The option and metadata records of TensorFlow 1.x's Session API (tf.compat.v1.ConfigProto and friends). */

/** tf.compat.v1.ConfigProto(...): `new tf.ConfigProto({ logDevicePlacement: true })`. */
export class ConfigProto {
  allowSoftPlacement?: boolean;
  logDevicePlacement?: boolean;
  deviceCount?: Record<string, number>;
  interOpParallelismThreads?: number;
  intraOpParallelismThreads?: number;
  gpuOptions?: { allowGrowth?: boolean; perProcessGpuMemoryFraction?: number };
  constructor(fields: Partial<ConfigProto> = {}) {
    Object.assign(this, fields);
  }
}

/** tf.compat.v1.RunOptions: traceLevel FULL_TRACE fills a RunMetadata's stepStats. */
export class RunOptions {
  static readonly NO_TRACE = 0;
  static readonly SOFTWARE_TRACE = 1;
  static readonly HARDWARE_TRACE = 2;
  static readonly FULL_TRACE = 3;
  traceLevel?: number;
  constructor(fields: { traceLevel?: number } = {}) {
    this.traceLevel = fields.traceLevel;
  }
}

/** One step of a traced run (TensorFlow's NodeExecStats). */
export interface NodeExecStats {
  nodeName: string;
  opType: string;
  allStartMicros: number;
  allEndRelMicros: number;
  /** A fused elementwise step (runtime/fusion.ts): the nodes it computed, nodeName being the last of them. */
  fusedNodes?: string[];
}

/** tf.compat.v1.RunMetadata: filled by Session.run when tracing. */
export class RunMetadata {
  stepStats?: { devStats: { device: string; nodeStats: NodeExecStats[] }[] };
}
