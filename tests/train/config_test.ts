// The flat training config: defaults, and loud failures naming the key.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import {
  CONFIG_FIELDS,
  DEFAULT_CONFIG,
  makeConfig,
  modelConfigOf,
  type TrainConfig,
} from "../../lib/train/config.ts";
import { describeRange, fitsRange } from "../../lib/core/ranges.ts";
import { MODEL_FIELDS, resolveModelConfig } from "../../lib/model/model_config.ts";

Deno.test("makeConfig returns the defaults and applies overrides", () => {
  assertEquals(makeConfig(), { ...DEFAULT_CONFIG });
  assertEquals(makeConfig({}), { ...DEFAULT_CONFIG });
  const c = makeConfig({ hiddenSize: 64, optimizer: "sgd", clipMode: "value", valFraction: 0 });
  assertEquals([c.hiddenSize, c.optimizer, c.clipMode, c.valFraction], [64, "sgd", "value", 0]);
  assertEquals(c.seqLength, DEFAULT_CONFIG.seqLength);
  assertOk(Object.isFrozen(DEFAULT_CONFIG));
  c.hiddenSize = 1; // the result is a fresh object
  assertEquals(DEFAULT_CONFIG.hiddenSize, 256);
});

Deno.test("makeConfig round-trips through JSON (as checkpoints store it)", () => {
  const c = makeConfig({ learningRate: 0.01, seed: 7, lrDecay: 0.9 });
  assertEquals(makeConfig(JSON.parse(JSON.stringify(c))), c);
});

Deno.test("unknown keys are rejected with the key's name", () => {
  const bad = { hiddenSise: 64 } as unknown as Partial<TrainConfig>;
  assertThrows(() => makeConfig(bad), /^RangeError: Unknown config key "hiddenSise"$/);
});

Deno.test("keys inherited from Object.prototype are unknown keys too", () => {
  for (const key of ["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__"]) {
    const bad = JSON.parse(`{"${key}": 1}`) as Partial<TrainConfig>;
    assertThrows(() => makeConfig(bad), new RegExp(`Unknown config key "${key}"`));
  }
});

Deno.test("non-integers are rejected where integers are required, naming the key", () => {
  const expected = {
    hiddenSize: "an integer >= 1 and <= 4096",
    numLayers: "an integer >= 1 and <= 8",
    seqLength: "an integer >= 1 and <= 100000",
    batchSize: "an integer >= 1 and <= 4096",
    lrDecayEvery: "an integer >= 1",
    steps: "an integer >= 1",
    evalEvery: "an integer >= 0",
    sampleEvery: "an integer >= 0",
    sampleLength: "an integer >= 1",
    seed: "an integer >= 0",
  } as const;
  for (const [key, range] of Object.entries(expected)) {
    for (const v of [1.5, NaN, Infinity, "8" as unknown as number]) {
      assertThrows(
        () => makeConfig({ [key]: v }),
        new RegExp(`^RangeError: Invalid ${key} ${v}: expected ${range}$`),
      );
    }
  }
});

Deno.test("every config field has exactly one rule, and the defaults pass it", () => {
  assertEquals(Object.keys(CONFIG_FIELDS).sort(), Object.keys(DEFAULT_CONFIG).sort());
  for (const [key, rule] of Object.entries(CONFIG_FIELDS)) {
    const value = DEFAULT_CONFIG[key as keyof TrainConfig];
    assertOk(rule.description.length > 0, key);
    assertOk(
      rule.type === "choice"
        ? (rule.choices as readonly unknown[]).includes(value)
        : fitsRange(rule, value),
      key,
    );
  }
  assertEquals(describeRange(CONFIG_FIELDS.learningRate), "a number > 0 and <= 10");
  assertEquals(describeRange(CONFIG_FIELDS.dropout), "a number >= 0 and < 1");
  assertEquals(describeRange(CONFIG_FIELDS.clip), "a number > 0");
});

Deno.test("the model's fields have one table: the config's ranges are the model's", () => {
  const modelKeys = Object.keys(MODEL_FIELDS) as (keyof typeof MODEL_FIELDS)[];
  for (const key of modelKeys) assertOk(CONFIG_FIELDS[key] === MODEL_FIELDS[key], key);
  assertEquals(
    Object.keys(modelConfigOf(DEFAULT_CONFIG, 5)).sort(),
    [...modelKeys, "vocabSize"].sort(),
  );
  // a value outside a model field's range fails the same way through both
  const model = modelConfigOf(DEFAULT_CONFIG, 5);
  for (
    const [key, value] of [
      ["hiddenSize", 4097],
      ["numLayers", 9],
      ["dropout", 1],
      ["weightDrop", -0.1],
      ["zoneout", 1],
      ["norm", "batch"],
      ["dropoutMask", "step"],
      ["cell", "tcn"],
    ] as const
  ) {
    const viaConfig = () => makeConfig({ [key]: value }),
      viaModel = () => resolveModelConfig({ ...model, [key]: value });
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    assertOk(message(viaConfig).startsWith(`Invalid ${key} `), message(viaConfig));
    assertEquals(message(viaModel), message(viaConfig), key);
  }
});

Deno.test("out-of-range values are rejected, naming the key and the range", () => {
  const cases: [keyof TrainConfig, unknown, RegExp][] = [
    ["hiddenSize", 0, /Invalid hiddenSize 0: expected an integer >= 1/],
    ["seqLength", -3, /Invalid seqLength -3: expected an integer >= 1/],
    ["batchSize", 0, /Invalid batchSize 0/],
    ["lrDecayEvery", 0, /Invalid lrDecayEvery 0/],
    ["hiddenSize", 4097, /Invalid hiddenSize 4097: expected an integer >= 1 and <= 4096/],
    ["numLayers", 9, /Invalid numLayers 9: expected an integer >= 1 and <= 8/],
    ["seqLength", 100_001, /Invalid seqLength 100001: expected an integer >= 1 and <= 100000/],
    ["batchSize", 4097, /Invalid batchSize 4097: expected an integer >= 1 and <= 4096/],
    ["steps", -1, /Invalid steps -1: expected an integer >= 1/],
    ["steps", 0, /Invalid steps 0: expected an integer >= 1/],
    ["sampleLength", 0, /Invalid sampleLength 0: expected an integer >= 1/],
    ["dropout", 1, /Invalid dropout 1: expected a number >= 0 and < 1/],
    ["dropout", -0.1, /Invalid dropout -0.1: expected a number >= 0 and < 1/],
    ["evalEvery", -1, /Invalid evalEvery -1/],
    ["seed", -5, /Invalid seed -5: expected an integer >= 0/],
    ["learningRate", 0, /Invalid learningRate 0: expected a number > 0 and <= 10/],
    ["learningRate", 11, /Invalid learningRate 11/],
    ["learningRate", "0.1", /Invalid learningRate 0.1/],
    ["lrDecay", 0, /Invalid lrDecay 0: expected a number > 0 and <= 1/],
    ["lrDecay", 1.5, /Invalid lrDecay 1.5/],
    ["clip", 0, /Invalid clip 0: expected a number > 0$/],
    ["clip", Infinity, /Invalid clip Infinity: expected a number > 0$/],
    ["clip", NaN, /Invalid clip NaN/],
    ["initScale", -0.1, /Invalid initScale -0.1: expected a number >= 0 and <= 10/],
    ["valFraction", 0.6, /Invalid valFraction 0.6: expected a number >= 0 and <= 0.5/],
    ["sampleTemperature", -1, /Invalid sampleTemperature -1/],
    ["sampleTemperature", Infinity, /Invalid sampleTemperature Infinity/],
    [
      "optimizer",
      "lbfgs",
      /Invalid optimizer "lbfgs": expected one of sgd, adagrad, rmsprop, adam/,
    ],
    ["cell", "transformer", /Invalid cell "transformer": expected one of rnn, lstm, gru/],
    ["numLayers", 0, /Invalid numLayers 0: expected an integer >= 1/],
    ["lrSchedule", "linear", /Invalid lrSchedule "linear": expected one of step, cosine/],
    ["clipMode", "both", /Invalid clipMode "both": expected one of norm, value, none/],
  ];
  for (const [key, value, pattern] of cases) {
    assertThrows(() => makeConfig({ [key]: value } as Partial<TrainConfig>), pattern);
  }
});

Deno.test("boundary values are accepted", () => {
  const c = makeConfig({
    steps: 1,
    evalEvery: 0,
    sampleEvery: 0,
    sampleLength: 1,
    seed: 0,
    initScale: 0,
    valFraction: 0.5,
    sampleTemperature: 0,
    lrDecay: 1,
    learningRate: 10,
    hiddenSize: 1,
  });
  assertEquals(c.valFraction, 0.5);
  assertEquals(makeConfig({ clipMode: "none", optimizer: "adagrad" }).clipMode, "none");
  const big = makeConfig({ hiddenSize: 4096, numLayers: 8, batchSize: 4096, seqLength: 100_000 });
  assertEquals([big.hiddenSize, big.numLayers], [4096, 8]);
  assertEquals(makeConfig({ numLayers: 2, dropout: 0.99 }).dropout, 0.99);
});

Deno.test("rules between fields: lrDecay 0 needs the cosine schedule, dropout 2+ layers", () => {
  assertEquals(makeConfig({ lrSchedule: "cosine", lrDecay: 0 }).lrDecay, 0);
  assertThrows(() => makeConfig({ lrDecay: 0 }), /Invalid lrDecay 0: .*step schedule/);
  assertThrows(() => makeConfig({ dropout: 0.5 }), /2 or more layers/);
});
