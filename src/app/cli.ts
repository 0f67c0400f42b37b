#!/usr/bin/env node
/**
 * The `tsflowjs` command (package.json "bin"). Subcommands:
 *   tsflowjs inspect-checkpoint <prefix|dir> [--tensor NAME] [--all] [--all-tensor-names]
 *   tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1]   (src/board/cli.ts; loaded only when asked for)
 * `--help` prints the usage (status 0); an unknown command or flag prints what was wrong and the usage (status 1).
 */
import { OpError } from "../core/errors.js";
import { parseCommandLine, usageError } from "../core/command_line.js";

const USAGE = `usage: tsflowjs inspect-checkpoint <checkpoint prefix or directory> [--tensor NAME] [--all] [--all-tensor-names]
       tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1] [--reload_interval SECONDS]
       tsflowjs --help`;

const INSPECT_OPTIONS = {
  tensor: { type: "string" },
  tensor_name: { type: "string" },
  file_name: { type: "string" },
  all: { type: "boolean" },
  all_tensors: { type: "boolean" },
  "all-tensor-names": { type: "boolean" },
  all_tensor_names: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function inspectCommand(args: string[]): number | Promise<number> {
  const parsed = parseCommandLine(args, INSPECT_OPTIONS, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const fileName = values.file_name ?? positionals[0];
  if (fileName === undefined) return usageError("inspect-checkpoint: a checkpoint prefix or directory is required", USAGE);
  if (positionals.length > (values.file_name === undefined ? 1 : 0))
    return usageError(`inspect-checkpoint: unexpected argument '${positionals.at(-1)}'`, USAGE);
  // Each subcommand's code is loaded only when it runs, so that `tsflowjs board` starts fast.
  return import("./inspect_checkpoint.js").then(({ inspectCheckpoint }) => {
    try {
      process.stdout.write(
        inspectCheckpoint(fileName, {
          tensorName: values.tensor ?? values.tensor_name,
          allTensors: Boolean(values.all || values.all_tensors),
          allTensorNames: Boolean(values["all-tensor-names"] || values.all_tensor_names),
        }),
      );
      return 0;
    } catch (e) {
      if (!(e instanceof OpError)) throw e;
      process.stderr.write(`${e.name}: ${e.message}\n`);
      return 1;
    }
  });
}

function main(argv: string[]): number | Promise<number | undefined> {
  const [command, ...args] = argv;
  // The board keeps running (its server holds the process open); it answers a code only when it cannot start.
  if (command === "board") return import("../board/cli.js").then((m) => m.boardCommand(args));
  if (command === "inspect-checkpoint") return inspectCommand(args);
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined) return usageError("a command is required", USAGE);
  return usageError(`unknown command '${command}'`, USAGE);
}

const result = main(process.argv.slice(2));
if (typeof result === "number") process.exitCode = result;
else
  void result.then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
