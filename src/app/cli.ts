#!/usr/bin/env node
/**
 * The `tsflow` command (package.json "bin"). Subcommands:
 *   tsflow inspect-checkpoint <prefix|dir> [--tensor NAME] [--all] [--all-tensor-names]
 */
import { OpError } from "../core/errors.js";
import { inspectCheckpoint } from "./inspect_checkpoint.js";

const USAGE = `usage: tsflow inspect-checkpoint <checkpoint prefix or directory> [--tensor NAME] [--all] [--all-tensor-names]`;

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

function main(argv: string[]): number {
  const [command, ...args] = argv;
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
}

process.exitCode = main(process.argv.slice(2));
