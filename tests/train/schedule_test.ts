// Learning-rate schedules: constant, step decay, cosine annealing over progress, warmup.
import { assertClose, assertEquals, assertOk } from "../assert.ts";
import { learningRateAt } from "../../lib/train/schedule.ts";

Deno.test("learningRateAt: constant, and step decay every decayEvery steps", () => {
  assertEquals(learningRateAt({ lr: 0.01 }, 0, 0), 0.01);
  assertEquals(learningRateAt({ lr: 0.01 }, 123456, 1), 0.01, "decay defaults to 1");
  const s = { lr: 0.1, decay: 0.5, decayEvery: 100 };
  assertEquals(learningRateAt(s, 0, 0), 0.1); // 0.1 * 0.5^0
  assertEquals(learningRateAt(s, 99, 0), 0.1); // floor(99 / 100) = 0
  assertEquals(learningRateAt(s, 100, 0), 0.05); // 0.1 * 0.5^1
  assertEquals(learningRateAt(s, 250, 0.9), 0.025, "progress does not move a step schedule");
  assertClose(learningRateAt({ lr: 2e-3, decay: 0.95 }, 3000, 0), 2e-3 * 0.95 ** 3, 1e-18);
});

Deno.test("learningRateAt: cosine anneals from lr to lr * decay over the run's progress", () => {
  const s = { lr: 0.01, kind: "cosine", decay: 0.1 } as const;
  assertClose(learningRateAt(s, 0, 0), 0.01, 1e-15);
  assertClose(learningRateAt(s, 7, 0.5), 0.001 + 0.5 * 0.009, 1e-15, "the step does not matter");
  assertClose(learningRateAt(s, 100, 1), 0.001, 1e-15);
  assertClose(learningRateAt(s, 250, 2.5), 0.001, 1e-15, "stays at the floor past the end");
  assertOk(learningRateAt(s, 30, 0.3) > learningRateAt(s, 31, 0.31), "monotone decreasing");
});

Deno.test("learningRateAt: linear warmup to the schedule's rate over warmupSteps", () => {
  const s = { lr: 0.01, kind: "cosine", decay: 0, warmupSteps: 100 } as const;
  assertClose(learningRateAt(s, 0, 0), 0.0001, 1e-15, "update 0 takes lr / warmupSteps");
  assertClose(learningRateAt(s, 49, 0), 0.005, 1e-15);
  assertClose(learningRateAt(s, 99, 0), 0.01, 1e-15, "full rate at the last warmup step");
  assertClose(learningRateAt(s, 150, 0.5), 0.005, 1e-15, "then the cosine alone");
  assertEquals(learningRateAt({ lr: 1, decay: 0.5, decayEvery: 10, warmupSteps: 20 }, 9, 0), 0.5);
});
