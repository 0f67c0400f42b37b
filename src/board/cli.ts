/**
 * `tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1] [--reload_interval SECONDS]` (TensorBoard's
 * flag names): starts the board and prints its address. Resolves to an exit code only when it cannot start.
 */
import { parseCommandLine, usageError } from "../core/command_line.js";
import { OpError } from "../core/errors.js";
import { startBoard } from "./server.js";

const USAGE = "usage: tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1] [--reload_interval SECONDS]";

const OPTIONS = {
  logdir: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  reload_interval: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function boardCommand(args: string[]): Promise<number | undefined> {
  const parsed = parseCommandLine(args, OPTIONS, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { logdir } = values;
  const port = Number(values.port ?? 6006);
  const reload = Number(values.reload_interval ?? 2);
  if (positionals.length > 0) return usageError(`board: unexpected argument '${positionals[0]}'`, USAGE);
  if (logdir === undefined) return usageError("board: --logdir is required", USAGE);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError(`board: --port ${values.port} is not a port number (0-65535)`, USAGE);
  if (!(reload > 0)) return usageError(`board: --reload_interval ${values.reload_interval} is not a positive number of seconds`, USAGE);
  try {
    const board = await startBoard({ logdir, port, host: values.host, reloadMs: reload * 1000 });
    process.stdout.write(`tsflowjs board: serving ${logdir} at ${board.url} (press Ctrl+C to stop)\n`);
    const stop = () => void board.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return undefined;
  } catch (e) {
    if (!(e instanceof OpError)) throw e;
    process.stderr.write(`${e.name}: ${e.message}\n`);
    return 1;
  }
}
