import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import {
  assertCheck,
  assertCheckpointRoundTrip,
  assertStepMatchesForward,
  checkStacked,
  trainSmall,
} from "./recurrent_check.ts";
import { LstmLayer } from "../../lib/model/lstm.ts";
import { createModel } from "../../lib/model/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { StackedRnn } from "../../lib/model/stacked_f64.ts";

for (const numLayers of [1, 2, 3]) {
  for (const dropout of numLayers > 1 ? [0, 0.3] : [0]) {
    Deno.test(`lstm gradient check, ${numLayers} layer(s), dropout ${dropout}`, () => {
      assertCheck(checkStacked("lstm", { numLayers, dropout }));
    });
  }
}

Deno.test("lstm parameter names, shapes, state names and forget-gate bias", () => {
  const m = new StackedRnn(new Rng(1), { kind: "lstm", vocabSize: 7, hiddenSize: 4, numLayers: 2 });
  const shapes = Object.fromEntries(Object.entries(m.params).map(([k, p]) => [k, p.shape]));
  assertEquals(shapes, {
    "l0.Wx": [16, 7],
    "l0.Wh": [16, 4],
    "l0.b": [16],
    "l1.Wx": [16, 4],
    "l1.Wh": [16, 4],
    "l1.b": [16],
    Why: [7, 4],
    by: [7],
  });
  assertEquals(Object.keys(m.initialState(3)), ["h.0", "c.0", "h.1", "c.1"]);
  assertEquals(m.initialState(3)["c.1"]!.shape, [3, 4]);
  for (const k of ["l0.b", "l1.b"]) {
    assertEquals(Array.from(m.params[k]!.data), [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  }
  assertEquals(new LstmLayer(new Rng(1), { inputSize: 3, hiddenSize: 2 }).stateNames, ["h", "c"]);
});

Deno.test("lstm step reproduces forward, 1 and 3 layers", () => {
  for (const numLayers of [1, 3]) {
    assertStepMatchesForward(
      createModel({ kind: "lstm", vocabSize: 6, hiddenSize: 5, numLayers }, new Rng(2)),
    );
  }
});

Deno.test("lstm trains on a repetitive text well below ln(V), and samples it", () => {
  for (const numLayers of [1, 2]) {
    const { first, last, lnV, text } = trainSmall("lstm", { numLayers });
    console.log(
      `lstm L=${numLayers}: loss ${first.toFixed(3)} -> ${last.toFixed(3)} (ln V = ` +
        `${lnV.toFixed(3)}); greedy sample ${JSON.stringify(text)}`,
    );
    assertOk(last < 0.25 * lnV, `loss ${last} not well below ln V ${lnV}`);
    assertEquals([...text].length, 60);
    assertOk(/the|sat|on/.test(text), `sample ${JSON.stringify(text)} learned nothing`);
  }
});

Deno.test("lstm checkpoint round trip restores the identical loss", () => {
  assertCheckpointRoundTrip(
    createModel(
      { kind: "lstm", vocabSize: 6, hiddenSize: 5, numLayers: 2, dropout: 0.2 },
      new Rng(3),
    ),
  );
  assertCheckpointRoundTrip(createModel({ kind: "lstm", vocabSize: 6, hiddenSize: 5 }, new Rng(3)));
});

Deno.test("lstm rejects dropout with one layer", () => {
  assertThrows(
    () => createModel({ kind: "lstm", vocabSize: 6, hiddenSize: 5, dropout: 0.3 }, new Rng(1)),
    /needs 2 or more layers/,
  );
});
