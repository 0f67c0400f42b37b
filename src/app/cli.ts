#!/usr/bin/env node
/**
 * The `tsflowjs` command (package.json "bin"). Subcommands:
 *   tsflowjs inspect-checkpoint <prefix|dir> [--tensor NAME] [--all] [--all-tensor-names]
 *   tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1]   (src/board/cli.ts; loaded only when asked for)
 */
import { OpError } from "../core/errors.js";

const USAGE = `usage: tsflowjs inspect-checkpoint <checkpoint prefix or directory> [--tensor NAME] [--all] [--all-tensor-names]
       tsflowjs board --logdir DIR [--port 6006] [--host 127.0.0.1] [--reload_interval SECONDS]`;

function flagValue(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const n of names) {
      if (args[i] === n) return args[i + 1];
      if (args[i].startsWith(`${n}=`)) return args[i].slice(n.length + 1);
    }
  }
  return undefined;
}

function hasFlag(args: string[], names: string[]): boolean {
  return args.some((a) => names.includes(a) || names.some((n) => a === `${n}=true` || a === `${n}=True`));
}

function main(argv: string[]): number | Promise<number | undefined> {
  const [command, ...args] = argv;
  // The board keeps running (its server holds the process open); it answers a code only when it cannot start.
  if (command === "board") return import("../board/cli.js").then((m) => m.boardCommand(args));
  if (command !== "inspect-checkpoint") {
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === "--help" ? 0 : 2;
  }
  const valued = ["--tensor", "--tensor_name", "--file_name"];
  const positional = args.filter((a, i) => !a.startsWith("--") && !valued.includes(args[i - 1]));
  const fileName = flagValue(args, ["--file_name"]) ?? positional[0];
  if (fileName === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  // Each subcommand's code is loaded only when it runs, so that `tsflowjs board` starts fast.
  return import("./inspect_checkpoint.js").then(({ inspectCheckpoint }) => {
    try {
      process.stdout.write(
        inspectCheckpoint(fileName, {
          tensorName: flagValue(args, ["--tensor", "--tensor_name"]),
          allTensors: hasFlag(args, ["--all", "--all_tensors"]),
          allTensorNames: hasFlag(args, ["--all-tensor-names", "--all_tensor_names"]),
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

const result = main(process.argv.slice(2));
if (typeof result === "number") process.exitCode = result;
else
  void result.then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
