// Learning-rate schedules: constant, step decay and cosine annealing.
import { assertClose, assertEquals, assertOk } from "../assert.ts";
import { learningRateAt } from "../../lib/train/schedule.ts";

Deno.test("learningRateAt: constant, and step decay every decayEvery steps", () => {
  assertEquals(learningRateAt({ lr: 0.01 }, 0), 0.01);
  assertEquals(learningRateAt({ lr: 0.01 }, 123456), 0.01, "decay defaults to 1");
  const s = { lr: 0.1, decay: 0.5, decayEvery: 100 };
  assertEquals(learningRateAt(s, 0), 0.1); // 0.1 * 0.5^0
  assertEquals(learningRateAt(s, 99), 0.1); // floor(99 / 100) = 0
  assertEquals(learningRateAt(s, 100), 0.05); // 0.1 * 0.5^1
  assertEquals(learningRateAt(s, 250), 0.025); // 0.1 * 0.5^2
  assertClose(learningRateAt({ lr: 2e-3, decay: 0.95 }, 3000), 2e-3 * 0.95 ** 3, 1e-18); // every 1000
});

Deno.test("learningRateAt: cosine anneals from lr to lr * decay over totalSteps", () => {
  const s = { lr: 0.01, kind: "cosine", decay: 0.1, totalSteps: 100 } as const;
  assertClose(learningRateAt(s, 0), 0.01, 1e-15);
  assertClose(learningRateAt(s, 50), 0.001 + 0.5 * 0.009, 1e-15);
  assertClose(learningRateAt(s, 100), 0.001, 1e-15);
  assertClose(learningRateAt(s, 250), 0.001, 1e-15, "stays at the floor past the end");
  assertOk(learningRateAt(s, 30) > learningRateAt(s, 31), "monotone decreasing");
});
