/** tf.keras.callbacks.CSVLogger: one CSV row of epoch results per epoch (header from the sorted metric names). */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { declare, K, param, parseArgs, signature, withDefault, type ArgsOf } from "../../core/signature.js";
import { Callback, type Logs } from "./callback.js";

const csvLoggerSignature = signature(
  "keras.callbacks.CSVLogger",
  "Streams epoch results to a CSV file.",
  [
    param("filename", K.string, "The CSV file's path."),
    withDefault("separator", K.string, ",", "The field separator."),
    withDefault("append", K.boolean, false, "Append to an existing file instead of overwriting it."),
  ],
  { args: () => ["/tmp/tsflow_csv_logger_signature.csv", ";"] },
);

export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private headerWritten = false;
  constructor(...args: ArgsOf<typeof csvLoggerSignature>) {
    super();
    [this.filename, this.separator, this.append] = parseArgs(csvLoggerSignature, args);
  }
  override onTrainBegin(): void {
    this.keys = null;
    this.headerWritten = this.append && existsSync(this.filename) && readFileSync(this.filename, "utf8").length > 0;
    if (!this.append) writeFileSync(this.filename, "");
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.keys ??= Object.keys(logs).sort();
    const sep = this.separator;
    let text = "";
    if (!this.headerWritten) {
      text += `${["epoch", ...this.keys].join(sep)}\n`;
      this.headerWritten = true;
    }
    text += `${[String(epoch), ...this.keys.map((k) => (k in logs ? String(logs[k]) : "NA"))].join(sep)}\n`;
    appendFileSync(this.filename, text);
  }
}
declare(CSVLogger, csvLoggerSignature);
