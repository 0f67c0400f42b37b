/**
 * RunMetadata's step stats (core/step_stats.ts) to and from TensorFlow's protos (step_stats.proto,
 * RunMetadata of config.proto), so that a traced step can be written as TensorFlow writes it and read by
 * TensorFlow's tools (timeline.Timeline, TensorBoard's RunMetadata view).
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { NodeExecStats, StepStats } from "../core/step_stats.js";
import { dtypeFromProto, dtypeToProto } from "../io/dtype_proto.js";
import { shapeFromProto, shapeToProto } from "../io/tensor_proto.js";
import { RunMetadataSchema } from "../proto/tensorflow/core/protobuf/config_pb.js";
import type { NodeExecStats as NodeExecStatsProto, NodeExecStatsSchema } from "../proto/tensorflow/core/framework/step_stats_pb.js";

function nodeToProto(n: NodeExecStats): MessageInitShape<typeof NodeExecStatsSchema> {
  return {
    nodeName: n.nodeName,
    allStartMicros: BigInt(n.allStartMicros),
    opStartRelMicros: BigInt(n.opStartRelMicros),
    opEndRelMicros: BigInt(n.opEndRelMicros),
    allEndRelMicros: BigInt(n.allEndRelMicros),
    memory: n.memory.map((m) => ({
      allocatorName: m.allocatorName,
      totalBytes: BigInt(m.totalBytes),
      peakBytes: BigInt(m.peakBytes),
      liveBytes: BigInt(m.liveBytes),
      allocatorBytesInUse: BigInt(m.allocatorBytesInUse),
    })),
    output: n.output.map((o) => ({
      slot: o.slot,
      tensorDescription: {
        dtype: dtypeToProto(o.tensorDescription.dtype),
        shape: shapeToProto(o.tensorDescription.shape),
        allocationDescription: {
          requestedBytes: BigInt(o.tensorDescription.allocationDescription.requestedBytes),
          allocatorName: o.tensorDescription.allocationDescription.allocatorName,
        },
      },
    })),
    timelineLabel: n.timelineLabel,
    scheduledMicros: BigInt(n.scheduledMicros),
    threadId: n.threadId,
  };
}

/** The op type TensorFlow's timeline reads from a label: "name = Type(inputs)", or a GPU entry's "Type @@name". */
function opTypeOf(label: string, nodeName: string): string {
  const m = /^.* = ([^(]*)\(/.exec(label) ?? /^(\S+) @@/.exec(label);
  return m ? m[1] : (nodeName.split(":")[1] ?? "unknown");
}

function nodeFromProto(n: NodeExecStatsProto): NodeExecStats {
  return {
    nodeName: n.nodeName,
    allStartMicros: Number(n.allStartMicros),
    opStartRelMicros: Number(n.opStartRelMicros),
    opEndRelMicros: Number(n.opEndRelMicros),
    allEndRelMicros: Number(n.allEndRelMicros),
    memory: n.memory.map((m) => ({
      allocatorName: m.allocatorName,
      totalBytes: Number(m.totalBytes),
      peakBytes: Number(m.peakBytes),
      liveBytes: Number(m.liveBytes),
      allocatorBytesInUse: Number(m.allocatorBytesInUse),
    })),
    output: n.output.map((o) => {
      const td = o.tensorDescription;
      const what = `the output ${o.slot} of ${n.nodeName}`;
      return {
        slot: o.slot,
        tensorDescription: {
          dtype: dtypeFromProto(td?.dtype ?? 0, what),
          shape: (shapeFromProto(td?.shape, what) ?? []) as number[],
          allocationDescription: {
            requestedBytes: Number(td?.allocationDescription?.requestedBytes ?? 0n),
            allocatorName: td?.allocationDescription?.allocatorName ?? "",
          },
        },
      };
    }),
    timelineLabel: n.timelineLabel,
    scheduledMicros: Number(n.scheduledMicros),
    threadId: n.threadId,
    opType: opTypeOf(n.timelineLabel, n.nodeName),
  };
}

/** RunMetadata's bytes as TensorFlow's RunMetadata.SerializeToString() writes them. */
export function runMetadataToBinary(stepStats: StepStats | undefined): Uint8Array {
  const proto = stepStats && {
    devStats: stepStats.devStats.map((d) => ({ device: d.device, nodeStats: d.nodeStats.map(nodeToProto), threadNames: { ...d.threadNames } })),
  };
  return toBinary(RunMetadataSchema, create(RunMetadataSchema, { stepStats: proto }));
}

/** The step stats of TensorFlow RunMetadata bytes (undefined when it has none). */
export function runMetadataFromBinary(bytes: Uint8Array): StepStats | undefined {
  const m = fromBinary(RunMetadataSchema, bytes);
  if (!m.stepStats) return undefined;
  return {
    devStats: m.stepStats.devStats.map((d) => ({ device: d.device, nodeStats: d.nodeStats.map(nodeFromProto), threadNames: { ...d.threadNames } })),
  };
}
