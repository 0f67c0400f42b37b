/**
 * `tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1] [--reload_interval SECONDS]` (TensorBoard's
 * flag names): starts the board and prints its address. Resolves to an exit code only when it cannot start.
 */
import { OpError } from "../core/errors.js";
import { startBoard } from "./server.js";

const USAGE = "usage: tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1] [--reload_interval SECONDS]";

function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}

export async function boardCommand(args: string[]): Promise<number | undefined> {
  const logdir = flag(args, "logdir");
  const port = Number(flag(args, "port") ?? 6006);
  const reload = Number(flag(args, "reload_interval") ?? 2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (logdir === undefined || !Number.isInteger(port) || port < 0 || port > 65535 || !(reload > 0)) {
    process.stderr.write(`${logdir === undefined ? "--logdir is required" : "invalid --port or --reload_interval"}\n${USAGE}\n`);
    return 2;
  }
  try {
    const board = await startBoard({ logdir, port, host: flag(args, "host"), reloadMs: reload * 1000 });
    process.stdout.write(`tsflow board: serving ${logdir} at ${board.url} (press Ctrl+C to stop)\n`);
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
