/**
 * The generation configs of `deno task bench` (`--configs GEN`): generated characters per
 * second of the sampler, like the peer `torch_sample.py`: random weights (the speed does not
 * depend on them), V = 100 symbols, temperature 0.8, B streams from a zero state, runs of 100
 * characters; one JSON line per config.
 *
 * @module
 */
import type { Backend } from "../lib/backend/types.ts";
import { generate, streamRngs } from "../lib/generate/sample.ts";
import type { CellKind } from "../lib/model/model_config.ts";
import { createModel } from "../lib/model/create.ts";
import { Rng } from "../lib/core/rng.ts";
import { vocabFromChars } from "../lib/text/vocab.ts";

/** The generation configs: RNN 512 and LSTM 2 x 512, one stream and 64. */
export const GEN_CONFIGS: Readonly<
  Record<string, { cell: CellKind; H: number; L: number; B: number }>
> = {
  "GEN-RNN": { cell: "rnn", H: 512, L: 1, B: 1 },
  "GEN-RNN64": { cell: "rnn", H: 512, L: 1, B: 64 },
  "GEN-LSTM": { cell: "lstm", H: 512, L: 2, B: 1 },
  "GEN-LSTM64": { cell: "lstm", H: 512, L: 2, B: 64 },
};

/** One measured generation config, as printed on a JSON line. */
export interface GenResult {
  /** `deno-sample-<cell>-<backend>`. */
  name: string;
  /** `H<H>_L<L>_B<B>_V<V>`, like the peer. */
  config: string;
  /** Median generated characters per second (B streams count B a step). */
  chars_per_s: number;
  /** Each segment's rate, ascending. */
  segments: number[];
  /** What ran. */
  backend: string;
}

/**
 * Measures one generation config.
 *
 * @param name A key of {@linkcode GEN_CONFIGS}.
 * @param backend Where the model runs.
 * @param options Warm-up and measured seconds.
 * @returns The result.
 */
export function benchGeneration(
  name: string,
  backend: Backend,
  options: { warmup: number; seconds: number },
): GenResult {
  const { cell, H, L, B } = GEN_CONFIGS[name]!;
  const V = 100;
  const vocab = vocabFromChars(
    Array.from({ length: V }, (_, i) => String.fromCodePoint(0x100 + i)),
  );
  const model = createModel({ cell, vocabSize: V, hiddenSize: H, numLayers: L }, new Rng(1), {
    backend,
  });
  let seed = 0;
  const run = () =>
    generate(model, vocab, { length: 100, rngs: streamRngs(seed++, B), temperature: 0.8 });
  const t0 = performance.now();
  do run(); while (performance.now() - t0 < options.warmup * 1000);
  const segments: number[] = [];
  for (let s = 0; s < 3; s++) {
    let chars = 0;
    const t1 = performance.now();
    do (run(), chars += 100 * B); while (performance.now() - t1 < (options.seconds * 1000) / 3);
    segments.push(chars / ((performance.now() - t1) / 1000));
  }
  segments.sort((a, b) => a - b);
  return {
    name: `deno-sample-${cell}-${backend.kind}`,
    config: `H${H}_L${L}_B${B}_V${V}`,
    chars_per_s: Math.round(segments[1]! * 10) / 10,
    segments: segments.map((r) => Math.round(r * 10) / 10),
    backend: backend.detail,
  };
}
