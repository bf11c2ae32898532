import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import {
  assertCheck,
  assertCheckpointRoundTrip,
  assertStepMatchesForward,
  checkStacked,
  trainSmall,
} from "./recurrent_check.ts";
import { GruLayer } from "../../lib/model/gru.ts";
import { createModel } from "../../lib/model/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { StackedRnn } from "../../lib/model/stacked_f64.ts";

for (const numLayers of [1, 2, 3]) {
  for (const dropout of numLayers > 1 ? [0, 0.3] : [0]) {
    Deno.test(`gru gradient check, ${numLayers} layer(s), dropout ${dropout}`, () => {
      assertCheck(checkStacked("gru", { numLayers, dropout }));
    });
  }
}

Deno.test("gru parameter names, shapes, state names and zero biases", () => {
  const m = new StackedRnn(new Rng(1), { kind: "gru", vocabSize: 7, hiddenSize: 4, numLayers: 2 });
  const shapes = Object.fromEntries(Object.entries(m.params).map(([k, p]) => [k, p.shape]));
  assertEquals(shapes, {
    "l0.Wx": [12, 7],
    "l0.Wh": [12, 4],
    "l0.b": [12],
    "l0.bhn": [4],
    "l1.Wx": [12, 4],
    "l1.Wh": [12, 4],
    "l1.b": [12],
    "l1.bhn": [4],
    Why: [7, 4],
    by: [7],
  });
  assertEquals(Object.keys(m.initialState(3)), ["h.0", "h.1"]);
  for (const k of ["l0.b", "l0.bhn", "l1.b", "l1.bhn", "by"]) {
    assertOk(m.params[k]!.data.every((v) => v === 0));
  }
  assertEquals(new GruLayer(new Rng(1), { inputSize: 3, hiddenSize: 2 }).stateNames, ["h"]);
});

Deno.test("gru step reproduces forward, 1 and 3 layers", () => {
  for (const numLayers of [1, 3]) {
    assertStepMatchesForward(
      createModel({ kind: "gru", vocabSize: 6, hiddenSize: 5, numLayers }, new Rng(2)),
    );
  }
});

Deno.test("gru trains on a repetitive text well below ln(V), and samples it", () => {
  for (const numLayers of [1, 2]) {
    const { first, last, lnV, text } = trainSmall("gru", { numLayers });
    console.log(
      `gru L=${numLayers}: loss ${first.toFixed(3)} -> ${last.toFixed(3)} (ln V = ` +
        `${lnV.toFixed(3)}); greedy sample ${JSON.stringify(text)}`,
    );
    assertOk(last < 0.25 * lnV, `loss ${last} not well below ln V ${lnV}`);
    assertEquals([...text].length, 60);
    assertOk(/the|sat|on/.test(text), `sample ${JSON.stringify(text)} learned nothing`);
  }
});

Deno.test("gru checkpoint round trip restores the identical loss", () => {
  assertCheckpointRoundTrip(
    createModel(
      { kind: "gru", vocabSize: 6, hiddenSize: 5, numLayers: 2, dropout: 0.2 },
      new Rng(3),
    ),
  );
  assertCheckpointRoundTrip(createModel({ kind: "gru", vocabSize: 6, hiddenSize: 5 }, new Rng(3)));
});

Deno.test("gru rejects dropout with one layer", () => {
  assertThrows(
    () => createModel({ kind: "gru", vocabSize: 6, hiddenSize: 5, dropout: 0.3 }, new Rng(1)),
    /needs 2 or more layers/,
  );
});
