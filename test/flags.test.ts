import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import * as tf from "../src/index.js";

const flags = tf.app.flags;
const FLAGS = tf.app.flags.FLAGS;

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit(${code})`);
  }
}

/** Runs parse with --help handling captured: returns the printed text and exit code. */
function parseCapturingHelp(args: string[]): { text: string; code: number | undefined; result: string[] | undefined } {
  let text = "";
  let code: number | undefined;
  let result: string[] | undefined;
  try {
    result = flags.parse(args, {
      program: "train.js",
      write: (t) => {
        text += t;
      },
      exit: (c) => {
        code = c;
        throw new ExitCalled(c);
      },
    });
  } catch (e) {
    if (!(e instanceof ExitCalled)) throw e;
  }
  return { text, code, result };
}

function defineTutorialFlags() {
  return {
    learningRate: flags.defineFloat("learning_rate", 0.01, "Initial learning rate."),
    maxSteps: flags.defineInteger("max_steps", 2000, "Number of steps to run trainer."),
    dataDir: flags.defineString("data_dir", "/tmp/data", "Directory for storing input data"),
    fakeData: flags.defineBoolean("fake_data", false, "If true, uses fake data for unit testing."),
  };
}

const savedArgv = process.argv;
beforeEach(() => {
  flags.reset();
  process.argv = [savedArgv[0]!, "/path/to/train.js"];
});
afterEach(() => {
  flags.reset();
  process.argv = savedArgv;
});

describe("namespaces", () => {
  test("tf.app.flags exposes the DEFINE_* functions camelCased, and tf.flags is the same namespace", () => {
    assert.equal(typeof flags.defineInteger, "function");
    assert.equal(typeof flags.defineFloat, "function");
    assert.equal(typeof flags.defineString, "function");
    assert.equal(typeof flags.defineBoolean, "function");
    assert.equal(flags.defineBool, flags.defineBoolean);
    assert.equal(tf.flags, tf.app.flags);
    assert.equal(tf.flags.FLAGS, tf.app.flags.FLAGS);
    assert.equal(typeof tf.app.run, "function");
  });
});

describe("defaults and values", () => {
  test("unparsed flags read their defaults, typed", () => {
    defineTutorialFlags();
    assert.equal(FLAGS.learning_rate, 0.01);
    assert.equal(FLAGS.max_steps, 2000);
    assert.equal(FLAGS.data_dir, "/tmp/data");
    assert.equal(FLAGS.fake_data, false);
    assert.equal(typeof FLAGS.max_steps, "number");
    assert.equal(typeof FLAGS.fake_data, "boolean");
    assert.equal(typeof FLAGS.data_dir, "string");
  });

  test("define* returns a typed holder with value, default, present and name", () => {
    const { maxSteps, fakeData } = defineTutorialFlags();
    flags.parse(["--max_steps=7"]);
    const steps: number = maxSteps.value;
    assert.equal(steps, 7);
    assert.equal(maxSteps.default, 2000);
    assert.equal(maxSteps.present, true);
    assert.equal(maxSteps.name, "max_steps");
    const fake: boolean = fakeData.value;
    assert.equal(fake, false);
    assert.equal(fakeData.present, false);
    assert.ok(maxSteps instanceof flags.FlagHolder);
  });

  test("string defaults are parsed by the flag's type; null defaults are allowed", () => {
    flags.defineInteger("a", "0x10", "hex default");
    flags.defineFloat("b", "1e-3", "float default");
    flags.defineBoolean("c", "true", "bool default");
    const d = flags.defineString("d", null, "no default");
    const e = flags.defineInteger("e", null, "no default");
    flags.parse([]);
    assert.equal(FLAGS.a, 16);
    assert.equal(FLAGS.b, 0.001);
    assert.equal(FLAGS.c, true);
    assert.equal(FLAGS.d, null);
    assert.equal(d.value, null);
    assert.equal(e.value, null);
  });

  test("bad defaults are rejected when the flag is defined", () => {
    assert.throws(() => flags.defineInteger("i", 1.5, "x"), tf.errors.InvalidArgumentError);
    assert.throws(() => flags.defineInteger("j", "abc", "x"), /Invalid value 'abc' for flag --j: expected an integer/);
    assert.throws(() => flags.defineFloat("k", "fast", "x"), tf.errors.InvalidArgumentError);
    assert.throws(() => flags.defineBoolean("l", "maybe", "x"), tf.errors.InvalidArgumentError);
    // a plain-JS caller passing the wrong type
    assert.throws(() => flags.defineString("m", 3 as unknown as string, "x"), tf.errors.InvalidArgumentError);
    assert.throws(() => flags.defineBoolean("n", 1 as unknown as boolean, "x"), tf.errors.InvalidArgumentError);
  });

  test("help, bounds and required may be passed by name in an options object", () => {
    flags.defineInteger("batch_size", 32, { help: "Batch size.", lowerBound: 1 });
    flags.defineFloat("dropout", 0.5, "Dropout rate.", { lowerBound: 0, upperBound: 1 });
    flags.parse(["--batch_size=64", "--dropout=0.25"]);
    assert.equal(FLAGS.batch_size, 64);
    assert.equal(FLAGS.dropout, 0.25);
    assert.match(flags.helpText("p"), /--batch_size: Batch size\./);
  });
});

describe("command-line syntax", () => {
  test("--name=value and --name value", () => {
    defineTutorialFlags();
    const rest = flags.parse(["--learning_rate=0.5", "--max_steps", "100", "--data_dir", "/data/mnist"]);
    assert.deepEqual(rest, []);
    assert.equal(FLAGS.learning_rate, 0.5);
    assert.equal(FLAGS.max_steps, 100);
    assert.equal(FLAGS.data_dir, "/data/mnist");
  });

  test("a single leading dash works too, and the value after a space may itself start with a dash", () => {
    defineTutorialFlags();
    flags.parse(["-max_steps=5", "-learning_rate", "-0.5", "--data_dir", "--weird"]);
    assert.equal(FLAGS.max_steps, 5);
    assert.equal(FLAGS.learning_rate, -0.5);
    assert.equal(FLAGS.data_dir, "--weird");
  });

  test("booleans: --name, --noname, --name=true/false/t/f/1/0", () => {
    flags.defineBoolean("a", false, "");
    flags.defineBoolean("b", true, "");
    flags.defineBoolean("c", false, "");
    flags.defineBoolean("d", true, "");
    flags.defineBoolean("e", false, "");
    flags.defineBoolean("f", true, "");
    flags.parse(["--a", "--nob", "--c=true", "--d=false", "--e=1", "--f=F"]);
    assert.deepEqual([FLAGS.a, FLAGS.b, FLAGS.c, FLAGS.d, FLAGS.e, FLAGS.f], [true, false, true, false, true, false]);
  });

  test("a boolean flag does not take the next argument as its value", () => {
    flags.defineBoolean("fake_data", false, "");
    const rest = flags.parse(["--fake_data", "false"]);
    assert.equal(FLAGS.fake_data, true);
    assert.deepEqual(rest, ["false"]);
  });

  test("the last occurrence of a flag wins", () => {
    flags.defineInteger("n", 0, "");
    flags.parse(["--n=1", "--n", "2", "--n=3"]);
    assert.equal(FLAGS.n, 3);
  });

  test("integers: sign, hex/octal/binary prefixes, surrounding whitespace", () => {
    flags.defineInteger("a", 0, "");
    flags.defineInteger("b", 0, "");
    flags.defineInteger("c", 0, "");
    flags.defineInteger("d", 0, "");
    flags.defineInteger("e", 0, "");
    flags.parse(["--a=-42", "--b=0xff", "--c=0o17", "--d=0b101", "--e= 7 "]);
    assert.deepEqual([FLAGS.a, FLAGS.b, FLAGS.c, FLAGS.d, FLAGS.e], [-42, 255, 15, 5, 7]);
  });

  test("floats: exponents, leading dot, inf and nan", () => {
    for (const n of ["a", "b", "c", "d", "e"]) flags.defineFloat(n, 0, "");
    flags.parse(["--a=1e-4", "--b=.5", "--c=3", "--d=-inf", "--e=nan"]);
    assert.equal(FLAGS.a, 1e-4);
    assert.equal(FLAGS.b, 0.5);
    assert.equal(FLAGS.c, 3);
    assert.equal(FLAGS.d, Number.NEGATIVE_INFINITY);
    assert.ok(Number.isNaN(FLAGS.e));
  });

  test("strings may be empty or contain '='", () => {
    flags.defineString("s", "x", "");
    flags.defineString("t", "x", "");
    flags.parse(["--s=", "--t=a=b"]);
    assert.equal(FLAGS.s, "");
    assert.equal(FLAGS.t, "a=b");
  });

  test("non-flag arguments are kept in order, interleaved with flags", () => {
    defineTutorialFlags();
    const rest = flags.parse(["input.txt", "--max_steps=3", "-", "output.txt", "--fake_data"]);
    assert.deepEqual(rest, ["input.txt", "-", "output.txt"]);
    assert.deepEqual(flags.argv(), ["input.txt", "-", "output.txt"]);
    assert.equal(FLAGS.max_steps, 3);
    assert.equal(FLAGS.fake_data, true);
  });

  test("arguments after -- are left alone", () => {
    defineTutorialFlags();
    const rest = flags.parse(["--max_steps=3", "--", "--max_steps=9", "--unknown", "--help", "x"]);
    assert.equal(FLAGS.max_steps, 3);
    assert.deepEqual(rest, ["--max_steps=9", "--unknown", "--help", "x"]);
    assert.deepEqual(flags.argv(), rest);
  });

  test("a second parse sets only the flags it names (as absl does)", () => {
    defineTutorialFlags();
    flags.parse(["--max_steps=3", "a"]);
    flags.parse(["--learning_rate=0.1", "b"]);
    assert.equal(FLAGS.max_steps, 3);
    assert.equal(FLAGS.learning_rate, 0.1);
    assert.deepEqual(flags.argv(), ["b"]);
  });
});

describe("errors", () => {
  test("an unknown flag is an InvalidArgumentError naming it, with a suggestion when one is close", () => {
    defineTutorialFlags();
    assert.throws(
      () => flags.parse(["--batch_size=3"]),
      (e: unknown) => {
        assert.ok(e instanceof tf.errors.InvalidArgumentError);
        assert.equal(e.code, tf.errors.INVALID_ARGUMENT);
        assert.match(e.message, /Unknown command line flag '--batch_size'/);
        return true;
      },
    );
    assert.throws(() => flags.parse(["--max_step=10"]), /Unknown command line flag '--max_step'\. Did you mean: --max_steps\?/);
    // --no only negates boolean flags
    assert.throws(() => flags.parse(["--nomax_steps"]), /Unknown command line flag '--nomax_steps'/);
  });

  test("knownOnly passes unknown flags through to argv (TensorFlow 1's tolerant mode)", () => {
    defineTutorialFlags();
    const rest = flags.parse(["--batch_size=3", "--max_steps=4", "pos"], { knownOnly: true });
    assert.deepEqual(rest, ["--batch_size=3", "pos"]);
    assert.equal(FLAGS.max_steps, 4);
  });

  test("a bad integer value names the flag and the value", () => {
    defineTutorialFlags();
    for (const bad of ["abc", "1.5", "1e3", "", "12abc"]) {
      assert.throws(
        () => flags.parse([`--max_steps=${bad}`]),
        (e: unknown) => {
          assert.ok(e instanceof tf.errors.InvalidArgumentError);
          assert.equal(e.message, `Invalid value '${bad}' for flag --max_steps: expected an integer`);
          return true;
        },
      );
    }
    assert.throws(() => flags.parse(["--max_steps=99999999999999999999"]), /--max_steps: expected an integer between/);
  });

  test("bad float and boolean values, and a value on --noname", () => {
    defineTutorialFlags();
    assert.throws(() => flags.parse(["--learning_rate=fast"]), /Invalid value 'fast' for flag --learning_rate: expected a number/);
    assert.throws(() => flags.parse(["--learning_rate", "0x10"]), tf.errors.InvalidArgumentError);
    assert.throws(() => flags.parse(["--fake_data=yes"]), /Invalid value 'yes' for flag --fake_data: expected a boolean/);
    assert.throws(() => flags.parse(["--nofake_data=true"]), /flag --nofake_data: boolean negation takes no value/);
  });

  test("a missing value is an error", () => {
    defineTutorialFlags();
    assert.throws(() => flags.parse(["--max_steps"]), /Missing value for flag --max_steps/);
  });

  test("bounds are checked on the command line and on assignment", () => {
    flags.defineInteger("batch_size", 32, "Batch size.", { lowerBound: 1, upperBound: 1024 });
    assert.throws(() => flags.parse(["--batch_size=0"]), /Invalid value '0' for flag --batch_size: expected a value in the range \[1, 1024\]/);
    assert.throws(() => flags.parse(["--batch_size=2048"]), tf.errors.InvalidArgumentError);
    assert.throws(() => flags.defineInteger("neg", -1, "", { lowerBound: 0 }), /expected a value >= 0/);
    assert.throws(() => flags.defineString("s", "", "", { lowerBound: 0 } as never), tf.errors.InvalidArgumentError);
    flags.parse([]);
    assert.throws(() => {
      FLAGS.batch_size = 0;
    }, tf.errors.InvalidArgumentError);
  });

  test("a failed parse assigns nothing", () => {
    defineTutorialFlags();
    assert.throws(() => flags.parse(["--max_steps=5", "--learning_rate=bad"]), tf.errors.InvalidArgumentError);
    assert.equal(flags.isParsed(), false);
    flags.parse([]);
    assert.equal(FLAGS.max_steps, 2000);
  });

  test("redefining a flag is an AlreadyExistsError; so is defining a help flag", () => {
    flags.defineInteger("max_steps", 1, "");
    assert.throws(
      () => flags.defineInteger("max_steps", 2, ""),
      (e: unknown) => {
        assert.ok(e instanceof tf.errors.AlreadyExistsError);
        assert.match(e.message, /Flag --max_steps is already defined/);
        return true;
      },
    );
    assert.throws(() => flags.defineString("max_steps", "", ""), tf.errors.AlreadyExistsError);
    assert.throws(() => flags.defineBoolean("help", false, ""), tf.errors.AlreadyExistsError);
  });

  test("invalid flag names are rejected", () => {
    for (const bad of ["", "-x", "a b", "a=b"]) {
      assert.throws(() => flags.defineInteger(bad, 1, ""), tf.errors.InvalidArgumentError);
    }
  });

  test("reading or assigning a flag that was never defined is a NotFoundError", () => {
    defineTutorialFlags();
    flags.parse([]);
    assert.throws(
      () => FLAGS.max_step,
      (e: unknown) => e instanceof tf.errors.NotFoundError && /--max_step is not defined/.test(e.message),
    );
    assert.throws(() => {
      FLAGS.nope = 1;
    }, tf.errors.NotFoundError);
  });

  test("required flags must end up non-null", () => {
    flags.defineString("model_dir", null, "Where to write checkpoints.");
    flags.markFlagAsRequired("model_dir");
    flags.defineString("data_dir", null, "Input.", { required: true });
    assert.throws(() => flags.parse(["--data_dir=/d"]), /Flag --model_dir must have a value other than null/);
    flags.parse(["--model_dir=/m", "--data_dir=/d"]);
    assert.equal(FLAGS.model_dir, "/m");
  });
});

describe("lazy parsing from process.argv", () => {
  test("the first read of a flag parses process.argv", () => {
    defineTutorialFlags();
    process.argv = [savedArgv[0]!, "/path/to/train.js", "--max_steps=11", "--nofake_data", "extra"];
    assert.equal(flags.isParsed(), false);
    assert.equal(FLAGS.max_steps, 11);
    assert.equal(flags.isParsed(), true);
    assert.equal(FLAGS.fake_data, false);
    assert.deepEqual(flags.argv(), ["extra"]);
    // Later changes to process.argv are not seen: parsing happens once.
    process.argv = [savedArgv[0]!, "/path/to/train.js", "--max_steps=12"];
    assert.equal(FLAGS.max_steps, 11);
  });

  test("a holder's value, argv() and Object.keys also parse lazily", () => {
    const { maxSteps } = defineTutorialFlags();
    process.argv = [savedArgv[0]!, "/path/to/train.js", "--max_steps", "5"];
    assert.equal(maxSteps.value, 5);
    flags.unparse();
    assert.equal(flags.isParsed(), false);
    process.argv = [savedArgv[0]!, "/path/to/train.js", "a"];
    assert.deepEqual(flags.argv(), ["a"]);
    assert.equal(FLAGS.max_steps, 2000);
  });

  test("an unknown flag on the real command line fails the first read", () => {
    defineTutorialFlags();
    process.argv = [savedArgv[0]!, "/path/to/train.js", "--bogus"];
    assert.throws(() => FLAGS.max_steps, /Unknown command line flag '--bogus'/);
  });

  test("'in' and defining flags do not parse", () => {
    defineTutorialFlags();
    assert.ok("max_steps" in FLAGS);
    assert.ok(!("max_step" in FLAGS));
    assert.equal(flags.isParsed(), false);
  });
});

describe("FLAGS object", () => {
  test("assignment sets a flag's value with type checks", () => {
    defineTutorialFlags();
    FLAGS.max_steps = 5;
    FLAGS.fake_data = true;
    FLAGS.learning_rate = "0.25"; // strings are parsed, as for defaults
    assert.equal(FLAGS.max_steps, 5);
    assert.equal(FLAGS.fake_data, true);
    assert.equal(FLAGS.learning_rate, 0.25);
    assert.throws(() => {
      FLAGS.max_steps = 1.5;
    }, /Invalid value '1.5' for flag --max_steps: expected an integer/);
    assert.throws(() => {
      FLAGS.fake_data = 1;
    }, tf.errors.InvalidArgumentError);
    assert.throws(() => {
      FLAGS.data_dir = 3;
    }, tf.errors.InvalidArgumentError);
  });

  test("enumerates as a plain object of values; prints its values; is not thenable", async () => {
    defineTutorialFlags();
    flags.parse(["--max_steps=3"]);
    assert.deepEqual(Object.keys(FLAGS), ["learning_rate", "max_steps", "data_dir", "fake_data"]);
    assert.deepEqual({ ...FLAGS }, { learning_rate: 0.01, max_steps: 3, data_dir: "/tmp/data", fake_data: false });
    assert.equal(JSON.stringify(FLAGS), '{"learning_rate":0.01,"max_steps":3,"data_dir":"/tmp/data","fake_data":false}');
    assert.match(inspect(FLAGS), /max_steps: 3/);
    assert.equal(await Promise.resolve(FLAGS), FLAGS);
    assert.throws(() => {
      delete FLAGS.max_steps;
    }, TypeError);
  });
});

describe("--help", () => {
  test("prints each flag with its help, default and type, then exits 0", () => {
    defineTutorialFlags();
    flags.defineInteger("batch_size", 32, "Batch size.\nMust divide the dataset size.", { lowerBound: 1 });
    const { text, code } = parseCapturingHelp(["--help"]);
    assert.equal(code, 0);
    assert.match(text, /^USAGE: train\.js \[flags\]/);
    assert.match(text, /  --max_steps: Number of steps to run trainer\.\n    \(default: '2000'\)\n    \(an integer\)\n/);
    assert.match(text, /  --learning_rate: Initial learning rate\.\n    \(default: '0\.01'\)\n    \(a number\)\n/);
    assert.match(text, /  --data_dir: Directory for storing input data\n    \(default: '\/tmp\/data'\)\n    \(a string\)\n/);
    assert.match(text, /  --\[no\]fake_data: If true, uses fake data for unit testing\.\n    \(default: 'false'\)\n    \(a boolean\)\n/);
    assert.match(text, /  --batch_size: Batch size\.\n    Must divide the dataset size\.\n    \(default: '32'\)\n    \(an integer >= 1\)\n/);
    // sorted by name
    const order = ["batch_size", "data_dir", "fake_data", "learning_rate", "max_steps"].map((n) => text.indexOf(`${n}:`));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.equal(text, flags.helpText("train.js"));
  });

  test("-h, -?, --helpshort and --helpfull do the same; help wins over bad arguments", () => {
    defineTutorialFlags();
    for (const arg of ["-h", "-?", "--helpshort", "--helpfull"]) {
      const { text, code } = parseCapturingHelp(["pos", arg]);
      assert.equal(code, 0, arg);
      assert.match(text, /--max_steps/);
    }
    const { code } = parseCapturingHelp(["--max_steps=abc", "--unknown", "--help"]);
    assert.equal(code, 0);
  });

  test("with an exit that returns, parse returns without assigning anything", () => {
    defineTutorialFlags();
    let exitCode: number | undefined;
    const rest = flags.parse(["--max_steps=5", "--help"], { exit: (c) => void (exitCode = c), write: () => undefined });
    assert.equal(exitCode, 0);
    assert.deepEqual(rest, []);
    assert.equal(flags.isParsed(), false);
  });

  test("required flags and null defaults are shown", () => {
    flags.defineString("model_dir", null, "Checkpoints.", { required: true });
    const { text } = parseCapturingHelp(["--help"]);
    assert.match(text, /--model_dir: Checkpoints\.\n    \(default: null\)\n    \(a string; required\)/);
  });
});

describe("tf.app.run", () => {
  test("parses the arguments, then calls main with [program, ...non-flag args]", () => {
    defineTutorialFlags();
    let seen: string[] | undefined;
    let stepsInMain: number | undefined;
    const result = tf.app.run(
      (argv) => {
        seen = argv;
        stepsInMain = FLAGS.max_steps;
        return "done";
      },
      ["--max_steps=42", "file.txt", "--", "--raw"],
    );
    assert.equal(result, "done");
    assert.deepEqual(seen, ["/path/to/train.js", "file.txt", "--raw"]);
    assert.equal(stepsInMain, 42);
  });

  test("defaults to process.argv; without main it only parses", () => {
    defineTutorialFlags();
    process.argv = [savedArgv[0]!, "/path/to/train.js", "--learning_rate=0.3"];
    assert.equal(tf.app.run(), undefined);
    assert.equal(flags.isParsed(), true);
    assert.equal(FLAGS.learning_rate, 0.3);
  });

  test("async main: the promise is returned; a non-zero result becomes process.exitCode", async () => {
    defineTutorialFlags();
    const saved = process.exitCode;
    try {
      const value = await tf.app.run(async (argv) => argv.length, ["a", "b"]);
      assert.equal(value, 3);
      await new Promise((r) => setImmediate(r));
      assert.equal(process.exitCode, 3);
      process.exitCode = saved;
      assert.equal(
        tf.app.run(() => 0, []),
        0,
      );
      assert.equal(process.exitCode, saved);
    } finally {
      process.exitCode = saved;
    }
  });

  test("a bad command line raises before main runs", () => {
    defineTutorialFlags();
    let called = false;
    assert.throws(() => tf.app.run(() => void (called = true), ["--max_steps=abc"]), tf.errors.InvalidArgumentError);
    assert.equal(called, false);
  });
});
