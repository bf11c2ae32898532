// Checkpoints: exact round trips, and clear rejection of corrupt or foreign files.
import { assertEquals, assertOk, assertRejects, assertThrows } from "../assert.ts";
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../../lib/io/checkpoint.ts";
import { makeConfig, modelConfigOf } from "../../lib/train/config.ts";
import { cloneState } from "../../lib/core/tensor.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { createModel } from "../../lib/model/create.ts";
import { VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../../lib/io/safetensors.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

const TEXT = "रामः सीता लक्ष्मणः। Zoë 🐍\n"; // written for this test
const F64 = createBackend({ kind: "f64" });
const B = 3, H = 6;

/** A checkpoint with non-trivial everything: trained params, Adam moments, state, rng spare. */
function makeCheckpoint(): Checkpoint {
  const vocab = buildVocab(TEXT);
  const V = vocab.chars.length;
  const rng = new Rng(11);
  const model = createModel({ cell: "rnn", vocabSize: V, hiddenSize: H }, rng, { backend: F64 });
  const optimizer = createOptimizer("adam", model.params, { backend: model.backend });
  const ids = encode(vocab, TEXT);
  const T = 4;
  const inputs = Int32Array.from({ length: T * B }, (_, k) => ids[k % ids.length]!);
  const targets = Int32Array.from({ length: T * B }, (_, k) => ids[(k + 1) % ids.length]!);
  const state = model.initialState(B);
  for (let i = 0; i < 3; i++) {
    for (const g of Object.values(model.grads)) g.data.fill(0);
    model.forward(inputs, targets, state);
    model.backward();
    optimizer.update(model.params, model.grads, 0.01);
  }
  rng.normal(); // leave a cached Gaussian in the saved rng state
  return {
    model,
    vocab,
    config: makeConfig({ hiddenSize: H, batchSize: B, seqLength: T, optimizer: "adam", seed: 11 }),
    optimizer,
    step: 3,
    position: 12,
    state,
    smoothLoss: 3.0123456789012345,
    rng: rng.getState(),
    corpus: "रामायण-test.txt",
    bestValLoss: 2.5,
  };
}

function assertSameCheckpoint(back: Checkpoint, ckpt: Checkpoint): void {
  assertEquals(back.model.config, ckpt.model.config);
  assertEquals(back.model.params, ckpt.model.params);
  assertEquals(back.optimizer.name, ckpt.optimizer.name);
  assertEquals(back.optimizer.steps, ckpt.optimizer.steps);
  assertEquals(back.optimizer.state, ckpt.optimizer.state);
  assertEquals(back.state, ckpt.state);
  assertEquals(back.vocab.chars, ckpt.vocab.chars);
  assertEquals([...back.vocab.charToIndex], [...ckpt.vocab.charToIndex]);
  assertEquals(back.config, ckpt.config);
  assertEquals(back.rng, ckpt.rng);
  for (const k of ["step", "position", "smoothLoss", "corpus", "bestValLoss"] as const) {
    assertEquals(back[k], ckpt[k], k);
  }
}

Deno.test("encode/decode restores params, moments, step, position, state, rng and vocab", () => {
  const ckpt = makeCheckpoint();
  assertOk(ckpt.optimizer.state["v.l0.Wh"]!.data.some((v) => v !== 0), "non-zero moments");
  assertOk(ckpt.state["h.0"]!.data.some((v) => v !== 0), "non-zero state");
  assertOk(ckpt.rng.spare !== null);
  const back = decodeCheckpoint(encodeCheckpoint(ckpt), { backend: F64 });
  assertSameCheckpoint(back, ckpt);
  assertOk(back.vocab.chars.includes("🐍") && back.vocab.chars.includes("्"));
  // the restored rng continues the same stream, including the cached Gaussian
  const a = new Rng(0), b = new Rng(0);
  a.setState(ckpt.rng);
  b.setState(back.rng);
  assertEquals([b.normal(), b.normal(), b.uniform()], [a.normal(), a.normal(), a.uniform()]);
  // the restored optimizer continues identically
  const g = ckpt.model.grads;
  ckpt.optimizer.update(ckpt.model.params, g, 0.01);
  back.optimizer.update(back.model.params, g, 0.01);
  assertEquals(back.model.params, ckpt.model.params);
  // null best validation loss and an SGD optimizer (no moments)
  const sgd = { ...makeCheckpoint(), bestValLoss: null };
  sgd.optimizer = createOptimizer("sgd", sgd.model.params, { backend: sgd.model.backend });
  const back2 = decodeCheckpoint(encodeCheckpoint(sgd), { backend: F64 });
  assertEquals(back2.bestValLoss, null);
  assertEquals(back2.optimizer.name, "sgd");
  assertEquals(back2.optimizer.state, {});
});

Deno.test("save/load through a file: the loaded model gives the identical loss", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt_test_" });
  try {
    const ckpt = makeCheckpoint();
    const path = `${dir}/sub/latest.safetensors`;
    await saveCheckpoint(path, ckpt);
    const back = await loadCheckpoint(path, { backend: F64 });
    assertSameCheckpoint(back, ckpt);
    const ids = encode(back.vocab, TEXT);
    const T = 5;
    const inputs = Int32Array.from({ length: T * B }, (_, k) => ids[(3 * k) % ids.length]!);
    const targets = Int32Array.from({ length: T * B }, (_, k) => ids[(3 * k + 1) % ids.length]!);
    const s1 = cloneState(ckpt.state), s2 = cloneState(back.state);
    const loss = ckpt.model.forward(inputs, targets, s1);
    assertEquals(back.model.forward(inputs, targets, s2), loss);
    assertEquals(s2, s1);
    // overwriting keeps one valid file
    await saveCheckpoint(path, { ...ckpt, step: 4 });
    assertEquals((await loadCheckpoint(path)).step, 4);
    assertEquals([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["latest.safetensors"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Writes `bytes` to a temp file, expects loadCheckpoint to reject with `pattern`. */
async function rejectsFile(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ckpt_bad_" });
  const path = `${dir}/bad.safetensors`;
  try {
    await Deno.writeFile(path, bytes);
    await assertRejects(() => loadCheckpoint(path), pattern);
    const message = await loadCheckpoint(path).catch((e: Error) => e.message);
    assertOk(
      String(message).startsWith(`Invalid checkpoint "${path}": `),
      `message: ${message}`,
    );
    assertOk(!String(message).includes("\n"), "one line");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Re-encodes a checkpoint after editing its tensors and metadata. */
function edited(
  edit: (tensors: Record<string, SafeTensor>, meta: Record<string, string>) => void,
): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(makeCheckpoint()));
  edit(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
}

function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

Deno.test("truncated files are rejected at every kind of cut point", {
  ignore: needs("read", "write"),
}, async () => {
  const bytes = encodeCheckpoint(makeCheckpoint());
  const n = headerLength(bytes);
  const cuts = [
    0,
    1,
    7,
    8,
    9,
    8 + (n >> 1),
    8 + n - 1,
    8 + n,
    8 + n + 5,
    bytes.length - 8,
    bytes.length - 1,
  ];
  for (const cut of cuts) {
    assertThrows(
      () => decodeCheckpoint(bytes.subarray(0, cut)),
      /Invalid safetensors file: .*truncated/,
    );
  }
  await rejectsFile(
    bytes.slice(0, 4),
    /^Error: Invalid checkpoint ".*": file is 4 bytes, shorter than the 8-byte length \(truncated\); the file is corrupt or not a checkpoint, use another one or train again$/,
  );
  await rejectsFile(
    bytes.slice(0, 8 + (n >> 1)),
    /header length \d+ exceeds file size \d+ \(truncated file\?\)/,
  );
  await rejectsFile(
    bytes.slice(0, bytes.length - 3),
    /truncated: tensor ".*" ends at \d+ of \d+ data bytes/,
  );
});

Deno.test("a flipped byte anywhere in the header is rejected", {
  ignore: needs("read", "write"),
}, async () => {
  const bytes = encodeCheckpoint(makeCheckpoint());
  const end = 8 + headerLength(bytes);
  let checked = 0;
  for (let i = 0; i < end; i++) {
    const bad = bytes.slice();
    bad[i] = bad[i]! ^ 0xff;
    assertThrows(() => decodeCheckpoint(bad), /Invalid safetensors file|Invalid checkpoint/);
    checked++;
  }
  assertOk(checked > 500, `${checked} positions`);
  const bad = bytes.slice();
  bad[20] = bad[20]! ^ 0xff;
  await rejectsFile(bad, /header is not valid UTF-8/);
});

Deno.test("a single-character change in the header is rejected when it breaks the format", {
  ignore: needs("read", "write"),
}, async () => {
  const bytes = encodeCheckpoint(makeCheckpoint());
  const n = headerLength(bytes);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const withHeader = (h: string): Uint8Array => {
    const json = new TextEncoder().encode(h);
    assertEquals(json.length, n, "same length edit");
    const out = bytes.slice();
    out.set(json, 8);
    return out;
  };
  await rejectsFile(withHeader(header.replace('"F64"', '"F16"')), /unsupported dtype "F16"/);
  await rejectsFile(
    withHeader(header.replace('"F64"', '"I32"')),
    /has \d+ bytes but shape|gap|trailing|overlapping/,
  );
  await rejectsFile(withHeader(header.replace("{", "[")), /header is not valid JSON/);
  await rejectsFile(
    withHeader(header.replace('"param.l0.Wh"', '"param.l0.Wz"')),
    /tensor "param.l0.Wh" is missing/,
  );
});

Deno.test("a safetensors file of another format is rejected", {
  ignore: needs("read", "write"),
}, async () => {
  const plain = encodeSafetensors({ w: { dtype: "F32", shape: [1], data: new Float32Array(1) } });
  await rejectsFile(plain, /not a charrnn-workbench-checkpoint file \(format "undefined"\)/);
  const pt = encodeSafetensors({}, { format: "pt" });
  await rejectsFile(pt, /not a charrnn-workbench-checkpoint file \(format "pt"\)/);
  await rejectsFile(edited((_t, m) => (m.format = "charrnn")), /format "charrnn"/);
  await rejectsFile(edited((_t, m) => (m.version = "4")), /unsupported version "4"/);
  await rejectsFile(
    new TextEncoder().encode("this is not a checkpoint at all, just text"),
    /header length/,
  );
});

Deno.test("missing tensors, wrong shapes and non-finite values are rejected by name", {
  ignore: needs("read", "write"),
}, async () => {
  await rejectsFile(edited((t) => delete t["param.l0.Wh"]), /tensor "param.l0.Wh" is missing/);
  await rejectsFile(edited((t) => delete t["optim.v.by"]), /tensor "optim.v.by" is missing/);
  const V = makeCheckpoint().vocab.chars.length;
  await rejectsFile(
    edited((
      t,
    ) => (t["param.Why"] = { dtype: "F64", shape: [H, V], data: new Float64Array(H * V) })),
    new RegExp(`tensor "param.Why" has shape \\[${H},${V}\\], expected \\[${V},${H}\\]`),
  );
  await rejectsFile(
    edited((
      t,
    ) => (t["param.l0.b"] = { dtype: "F64", shape: [H + 1], data: new Float64Array(H + 1) })),
    /tensor "param.l0.b" has shape \[7\], expected \[6\]/,
  );
  await rejectsFile(
    edited((t) => (t["param.l0.Wx"]!.data[5] = NaN)),
    /tensor "param.l0.Wx" holds non-finite values/,
  );
  await rejectsFile(
    edited((t) => (t["param.by"]!.data[0] = -Infinity)),
    /tensor "param.by" holds non-finite values/,
  );
  await rejectsFile(
    edited((t) => (t["optim.m.l0.Wh"]!.data[0] = NaN)),
    /tensor "optim.m.l0.Wh" holds non-finite values/,
  );
  await rejectsFile(
    edited((t) => (t["state.h.0"]!.data[2] = NaN)),
    /tensor "state.h.0" holds non-finite values/,
  );
});

Deno.test("vocabulary and metadata problems are rejected with clear messages", {
  ignore: needs("read", "write"),
}, async () => {
  const V = makeCheckpoint().vocab.chars.length;
  await rejectsFile(
    edited((_t, m) => (m.vocab = JSON.stringify(JSON.parse(m.vocab!).slice(1)))),
    new RegExp(`model vocabulary size ${V} differs from the ${V - 1} saved characters`),
  );
  await rejectsFile(
    edited((_t, m) => {
      const chars = JSON.parse(m.vocab!);
      chars[1] = chars[0];
      m.vocab = JSON.stringify(chars);
    }),
    /appears twice/,
  );
  await rejectsFile(edited((_t, m) => delete m.step), /metadata "step" is missing/);
  await rejectsFile(
    edited((_t, m) => (m.model = "{not json")),
    /metadata "model" is not valid JSON/,
  );
  await rejectsFile(edited((_t, m) => (m.step = "-1")), /step -1 is not a non-negative integer/);
  await rejectsFile(
    edited((_t, m) => (m.position = "1.5")),
    /position 1.5 is not a non-negative integer/,
  );
  await rejectsFile(
    edited((_t, m) => (m.config = '{"hiddenSise":6}')),
    /Unknown config key "hiddenSise"/,
  );
  await rejectsFile(
    edited((_t, m) => (m.optimizer = '{"name":"lbfgs","steps":1}')),
    /Unknown optimizer "lbfgs"/,
  );
  await rejectsFile(
    edited((_t, m) => (m.rng = '{"words":[1,2],"spare":null}')),
    /metadata "rng" or "dropout_rng" is not a random generator state/,
  );
  await rejectsFile(
    edited((_t, m) => (m.rng = "null")),
    /metadata "rng" or "dropout_rng" is not a random generator state/,
  );
  await rejectsFile(edited((_t, m) => (m.smooth_loss = "abc")), /smooth_loss abc is not a number/);
});

Deno.test("a non-existent path and a directory get 'Cannot read checkpoint'", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt_dir_" });
  try {
    const missing = `${dir}/nope.safetensors`;
    await assertRejects(
      () => loadCheckpoint(missing),
      new RegExp(
        `^Error: Cannot read checkpoint "${missing}": file not found; pass a \\.safetensors file written by deno task train$`,
      ),
    );
    await assertRejects(
      () => loadCheckpoint(dir),
      /^Error: Cannot read checkpoint ".*": it is a directory; /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const FIXTURE_TEXT = "the cat sat on the mat. the dog sat on the log.\n".repeat(20); // as written
const FIXTURES = [ // files saved by version-1 code, and the loss it computed on PROBE then
  { file: "v1_rnn.safetensors", cell: "rnn", zero: 2.7112706729459988, carried: 2.808715131102014 },
  {
    file: "v1_lstm2.safetensors",
    cell: "lstm",
    zero: 2.7411870037622594,
    carried: 2.7531741361082904,
  },
];
const PROBE = "the cat sat on the log.";

Deno.test("version-1 checkpoints (the seed's names for a one-layer rnn) still load", {
  ignore: needs("read"),
}, async () => {
  for (const { file, cell, zero, carried } of FIXTURES) {
    const path = new URL(`../fixtures/${file}`, import.meta.url);
    for (const backend of [F64, createBackend({ kind: "wasm" })]) {
      const ckpt = decodeCheckpoint(await Deno.readFile(path), { backend });
      assertEquals(ckpt.vocab.chars, buildVocab(FIXTURE_TEXT).chars);
      const ids = encode(ckpt.vocab, PROBE), x = ids.slice(0, -1), y = ids.slice(1);
      const tol = backend === F64 ? 1e-12 : 1e-5;
      const a = ckpt.model.forward(x, y, ckpt.model.initialState(1));
      const b = ckpt.model.forward(x, y, cloneState(ckpt.state)); // (T, B) = (11, 2)
      assertOk(Math.abs(a - zero) <= tol && Math.abs(b - carried) <= tol, `${file}: ${a}, ${b}`);
      assertEquals(ckpt.step, 3);
      assertOk(Object.keys(ckpt.optimizer.state).every((k) => !k.includes("Wxh")));
      assertEquals([ckpt.config.cell, ckpt.model.config.cell], [cell, cell]); // formerly model, kind
    }
  }
});

Deno.test("version-2 checkpoints (the former field names) load under the current ones", {
  ignore: needs("read"),
}, async () => {
  // saved by version-2 code with --model gru --norm layer --ema 0.9 --num-layers 2 --dropout 0.1
  // --dropout-mask sequence --weight-drop 0.2 --zoneout 0.1 --hidden-size 6 --steps 3 (f64)
  const bytes = await Deno.readFile(
    new URL("../fixtures/v2_gru2_norm_ema.safetensors", import.meta.url),
  );
  const saved = decodeSafetensors(bytes).metadata;
  assertEquals([saved.version, JSON.parse(saved.config!).model, JSON.parse(saved.model!).kind], [
    "2",
    "gru",
    "gru",
  ]);
  const ckpt = decodeCheckpoint(bytes, { backend: F64 });
  const { cell, numLayers, dropout, dropoutMask, weightDrop, norm, zoneout } = ckpt.config;
  assertEquals(
    [cell, numLayers, dropout, dropoutMask, weightDrop, norm, zoneout],
    ["gru", 2, 0.1, "sequence", 0.2, "layer", 0.1],
  );
  assertEquals([ckpt.config.weightAverage, ckpt.average?.updates], [0.9, 3]); // formerly ema
  assertEquals(ckpt.model.config, modelConfigOf(ckpt.config, ckpt.vocab.chars.length));
  const ids = encode(ckpt.vocab, PROBE), x = ids.slice(0, -1), y = ids.slice(1);
  const zero = ckpt.model.forward(x, y, ckpt.model.initialState(1)); // the loss then, on PROBE
  const carried = ckpt.model.forward(x, y, cloneState(ckpt.state));
  assertOk(Math.abs(zero - 3.080979402868276) <= 1e-12, `${zero}`);
  assertOk(Math.abs(carried - 2.97332952836156) <= 1e-12, `${carried}`);
  const averaged = cloneState(ckpt.model.params); // the model holds the average
  for (const [name, t] of Object.entries(ckpt.average!.trained)) {
    ckpt.model.params[name]!.data.set(t.data);
  }
  const trained = ckpt.model.forward(x, y, ckpt.model.initialState(1));
  assertOk(Math.abs(trained - 3.0728270917566123) <= 1e-12, `trained weights: ${trained}`);
  for (const [name, t] of Object.entries(averaged)) ckpt.model.params[name]!.data.set(t.data);
  // saved again, it stores the current names
  const meta = decodeSafetensors(encodeCheckpoint(ckpt)).metadata;
  const [config, model] = [JSON.parse(meta.config!), JSON.parse(meta.model!)];
  assertEquals([meta.version, config.cell, model.cell, config.weightAverage], [
    "3",
    "gru",
    "gru",
    0.9,
  ]);
  assertOk(!("model" in config) && !("kind" in model) && !("ema" in config), meta.config);
});

Deno.test("a saved VanillaRnn loads as the stacked rnn and computes the same loss", () => {
  const vocab = buildVocab(TEXT);
  const V = vocab.chars.length;
  const seed = new VanillaRnn(new Rng(3), { vocabSize: V, hiddenSize: H });
  const ckpt = { ...makeCheckpoint(), model: seed, state: seed.initialState(B) };
  ckpt.optimizer = createOptimizer("adam", seed.params, { backend: seed.backend });
  const back = decodeCheckpoint(encodeCheckpoint(ckpt), { backend: F64 });
  assertEquals(Object.keys(back.state), ["h.0"]);
  assertEquals(Object.keys(back.optimizer.state).sort()[0], "m.Why");
  const ids = encode(vocab, TEXT), x = ids.slice(0, -1), y = ids.slice(1);
  const a = seed.forward(x, y, seed.initialState(1));
  const b = back.model.forward(x, y, back.model.initialState(1));
  assertOk(Math.abs(a - b) <= 1e-13, `${a} vs ${b}`);
});

Deno.test("the divergence guard's bookkeeping round-trips; files without it still load", {
  ignore: needs("read", "write"),
}, async () => {
  const divergence = { bestSmoothLoss: 1.25, lrScale: 0.25, rollbacks: 2, lastDivergence: 317 };
  const ckpt = { ...makeCheckpoint(), divergence };
  const back = decodeCheckpoint(encodeCheckpoint(ckpt), { backend: F64 });
  assertEquals(back.divergence, divergence);
  assertEquals(decodeCheckpoint(encodeCheckpoint(makeCheckpoint())).divergence, undefined);
  for (
    const bad of [
      '{"lrScale":2}',
      '{"bestSmoothLoss":1,"lrScale":0,"rollbacks":0,"lastDivergence":0}',
      "[]",
    ]
  ) {
    await rejectsFile(
      edited((_t, m) => (m.divergence = bad)),
      /metadata "divergence" is not a divergence record/,
    );
  }
  await rejectsFile(edited((_t, m) => (m.divergence = "{")), /"divergence" is not valid JSON/);
});

Deno.test("with weight averaging the model holds the average and train.* the trained weights", {
  ignore: needs("read", "write"),
}, async () => {
  const plain = makeCheckpoint();
  const trained = cloneState(plain.model.params);
  for (const t of Object.values(trained)) t.data.set(t.data.map((v) => v + 1));
  const ckpt = {
    ...plain,
    config: { ...plain.config, weightAverage: 0.99 },
    average: { trained, updates: 3 },
  };
  const bytes = encodeCheckpoint(ckpt);
  const back = decodeCheckpoint(bytes, { backend: F64 });
  assertSameCheckpoint(back, ckpt);
  assertEquals(back.average, { trained, updates: 3 });
  const { tensors, metadata } = decodeSafetensors(bytes);
  assertEquals(tensors["train.Why"]!.data, trained.Why!.data);
  assertEquals(decodeCheckpoint(encodeCheckpoint(plain), { backend: F64 }).average, undefined);
  const broken = (edit: (t: Record<string, SafeTensor>, m: Record<string, string>) => void) => {
    const t = { ...tensors }, m = { ...metadata };
    edit(t, m);
    return encodeSafetensors(t, m);
  };
  await rejectsFile(broken((t) => delete t["train.l0.Wh"]), /tensor "train.l0.Wh" is missing/);
  await rejectsFile(broken((_t, m) => delete m.average_updates), /"average_updates" is missing/);
  await rejectsFile(
    broken((_t, m) => (m.average_updates = "-1")),
    /average_updates -1 is not a non-negative integer/,
  );
});
