/**
 * TensorFlow 1's tf.compat.v1.summary.FileWriter: an event file in logdir that takes serialized Summary
 * protos (what a session returns for a summary op, as bytes or a latin1 string), Summary messages, the
 * graph (its GraphDef, through graph.asGraphDef()), SessionLogs, RunMetadata and raw Events. As in
 * TensorFlow, a tag's SummaryMetadata is written only with its first value (TensorBoard keeps the first
 * it sees). Built on the same queued EventFileWriter as the TensorFlow 2 writer.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { declare, K, kind, optional, parseArgs, positionalOnly, signature, type ArgsOf } from "../core/signature.js";
import type { Graph } from "../graph/graph.js";
import { type GraphDef, GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import { type Summary, SummarySchema } from "../proto/tensorflow/core/framework/summary_pb.js";
import { type Event, EventSchema, type SessionLog, SessionLogSchema } from "../proto/tensorflow/core/util/event_pb.js";
import { EventFileWriter } from "./event_file_writer.js";

type SummaryLike = Summary | Uint8Array | string | Tensor;

/** Bytes of a serialized proto given as bytes or as a latin1 string (how tsflow's string tensors carry bytes). */
function protoBytes(x: Uint8Array | string): Uint8Array {
  return typeof x === "string" ? new Uint8Array(Buffer.from(x, "latin1")) : x;
}

/** A Summary from its serialized bytes, a latin1 string, or the scalar string tensor a summary op's run returns. */
function parseSummary(x: Uint8Array | string | Tensor): Summary {
  let bytes: Uint8Array;
  if (x instanceof Tensor) {
    if (x.dtype !== "string" || x.shape === null || x.shape.length !== 0) {
      throw new InvalidArgumentError(`FileWriter.addSummary: expected the scalar string tensor of a summary op, got ${x.toString()}`);
    }
    bytes = protoBytes((x.dataSync() as string[])[0]);
  } else bytes = protoBytes(x);
  try {
    return fromBinary(SummarySchema, bytes);
  } catch (e) {
    throw new InvalidArgumentError(`FileWriter.addSummary: the value is not a serialized Summary proto (${(e as Error).message})`);
  }
}

function stepOf(x: number | bigint | undefined | null): bigint {
  if (x === undefined || x === null) return 0n;
  return typeof x === "bigint" ? x : BigInt(Math.trunc(x));
}

const fileWriterSig = signature("compat.v1.summary.FileWriter", "An event file in logdir for summaries, the graph and session logs (TensorFlow 1).", [
  positionalOnly(optional("logdir", K.string, "The log directory (created if missing).")),
  optional("graph", kind<Graph>("Graph"), "A graph written first (its GraphDef)."),
  optional("maxQueue", K.int, "Events held in memory before they are written (default 10)."),
  optional("flushSecs", K.number, "The longest an event waits in memory, in seconds (default 120)."),
  optional("graphDef", kind<GraphDef>("GraphDef"), "A GraphDef written first (instead of graph)."),
  optional("filenameSuffix", K.string, "Appended to the event file's name."),
  optional("session", kind<unknown>("Session"), "Accepted for TensorFlow's API."),
]);

export class FileWriter {
  private readonly writer: EventFileWriter;
  private readonly seenTags = new Set<string>();
  readonly logdir: string;

  constructor(...args: ArgsOf<typeof fileWriterSig>) {
    const [logdir, graph, maxQueue, flushSecs, graphDef, filenameSuffix] = parseArgs(fileWriterSig, args);
    if (logdir === undefined) throw new InvalidArgumentError("tf.compat.v1.summary.FileWriter: a logdir is required");
    this.logdir = logdir;
    this.writer = new EventFileWriter(logdir, { maxQueue: maxQueue ?? 10, flushMillis: (flushSecs ?? 120) * 1000, filenameSuffix: filenameSuffix ?? "" });
    if (graph !== undefined || graphDef !== undefined) this.addGraph(graph ?? null, undefined, graphDef);
  }

  /** The event file being written. */
  get path(): string {
    return this.writer.path;
  }

  getLogdir(): string {
    return this.logdir;
  }

  private write(event: Event): void {
    if (this.writer.closed) throw new InvalidArgumentError(`the FileWriter of ${this.logdir} is closed (reopen() it first)`);
    this.writer.add(event);
  }

  /** A Summary (message, or serialized as bytes/latin1 string, what Session.run returns for a summary op). */
  addSummary(summary: SummaryLike, globalStep?: number | bigint): void {
    const s = typeof summary === "string" || summary instanceof Uint8Array || summary instanceof Tensor ? parseSummary(summary) : summary;
    const copy = create(SummarySchema, s);
    for (const v of copy.value) {
      if (v.metadata !== undefined && this.seenTags.has(v.tag)) v.metadata = undefined;
      if (v.metadata !== undefined) this.seenTags.add(v.tag);
    }
    this.write(create(EventSchema, { wallTime: Date.now() / 1000, step: stepOf(globalStep), what: { case: "summary", value: copy } }));
  }

  /** The graph (graph.asGraphDef()) or a GraphDef, as Event.graph_def. */
  addGraph(graph: Graph | null, globalStep?: number | bigint, graphDef?: GraphDef): void {
    const def = graphDef ?? graph?.asGraphDef();
    if (def === undefined) throw new InvalidArgumentError("FileWriter.addGraph: give a graph or a graphDef");
    this.write(
      create(EventSchema, { wallTime: Date.now() / 1000, step: stepOf(globalStep), what: { case: "graphDef", value: toBinary(GraphDefSchema, def) } }),
    );
  }

  addSessionLog(sessionLog: SessionLog | { status?: number; checkpointPath?: string; msg?: string }, globalStep?: number | bigint): void {
    const log = create(SessionLogSchema, sessionLog as SessionLog);
    this.write(create(EventSchema, { wallTime: Date.now() / 1000, step: stepOf(globalStep), what: { case: "sessionLog", value: log } }));
  }

  /** A serialized RunMetadata under a tag (TensorBoard's graph_tagged_run_metadata). */
  addRunMetadata(runMetadata: Uint8Array | string, tag: string, globalStep?: number | bigint): void {
    this.write(
      create(EventSchema, {
        wallTime: Date.now() / 1000,
        step: stepOf(globalStep),
        what: { case: "taggedRunMetadata", value: { tag, runMetadata: protoBytes(runMetadata) } },
      }),
    );
  }

  /** An Event as given (wall time and step included). */
  addEvent(event: Event): void {
    this.write(create(EventSchema, event));
  }

  flush(): void {
    this.writer.flush();
  }

  close(): void {
    this.writer.close();
  }

  /** After close(): continues in a new event file in the same logdir. */
  reopen(): void {
    if (this.writer.closed) {
      this.seenTags.clear();
      this.writer.open();
    }
  }
}
declare(FileWriter, fileWriterSig);
