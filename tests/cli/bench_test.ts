// deno task bench prints one JSON line per config (the peers' shape) and a table; deno task
// train names its backend and takes --backend (formerly --engine) / --threads. Tiny runs: no
// timing is asserted.
import { assertEquals, assertOk } from "../assert.ts";
import { formatTable } from "../../cli/bench.ts";
import { cli } from "./cli_support.ts";
import { needs } from "../permissions.ts";

Deno.test("bench: a JSON line per config with the peers' keys, then a table", {
  ignore: needs("read", "run"),
}, async () => {
  const r = await cli("bench", [
    "--seconds",
    "0.06",
    "--warmup",
    "0",
    "--configs",
    "A,C",
    "--backend",
    "wasm",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.map((l) => l.config), ["H100_T25_B1_V100", "H512_T50_B64_V100"]);
  for (const l of lines) {
    assertEquals(l.name, "deno-rnn-wasm");
    assertOk(l.chars_per_s > 0 && l.gflops > 0 && l.segments.length === 3);
    assertEquals(
      l.flops_per_char,
      l.config.startsWith("H100") ? 6 * 100 * 100 + 6 * 100 * 100 : 6 * 512 * 512 + 6 * 100 * 512,
    );
    assertEquals(l.optimizer, "adagrad");
  }
  assertOk(/config\s+shape\s+chars\/s/.test(r.stderr), r.stderr);
});

Deno.test("bench: bad flags are one-line usage errors", {
  ignore: needs("read", "run"),
}, async () => {
  const r = await cli("bench", ["--configs", "A,D"]);
  assertEquals(r.code, 2);
  assertEquals(
    r.stderr.trim(),
    'error: Unknown config "D" in --configs: expected a list of A, B, C, LSTM, GRU, GRULN, RNNLN, LSTMLN, GEN, ' +
      "GEN-RNN, GEN-RNN64, GEN-LSTM, GEN-LSTM64",
  );
  for (const flag of ["--backend", "--engine"]) { // --engine: the former name
    const e = await cli("bench", [flag, "gpu"]);
    assertEquals(
      e.stderr.trim(),
      'error: Invalid --backend "gpu": expected one of auto, openblas, wasm, ts, f64',
    );
  }
});

Deno.test("train: prints the backend in use and honours --backend and the former --engine", {
  ignore: needs("read", "write", "run"),
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const common = [
      "--steps",
      "2",
      "--hidden-size",
      "8",
      "--batch-size",
      "2",
      "--seq-length",
      "8",
      "--out",
      out,
    ];
    const wasm = await cli("train", [...common, "--backend", "wasm"]);
    assertEquals(wasm.code, 0, wasm.stderr);
    assertOk(/Backend: wasm \(/.test(wasm.stderr + wasm.stdout), wasm.stderr);
    const plain = await cli("train", [...common, "--engine", "plain", "--threads", "1"]);
    assertEquals(plain.code, 0, plain.stderr);
    assertOk(/Backend: f64 \(float64/.test(plain.stderr + plain.stdout)); // plain = f64
    const noFfi = await cli("train", [...common, "--backend", "openblas"], {
      permissions: ["--allow-read", "--allow-write", "--allow-env"],
    });
    assertEquals(noFfi.code, 1);
    assertOk(
      /^error: Cannot use the openblas backend: .*--allow-ffi/.test(noFfi.stderr),
      noFfi.stderr,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bench table lists every config", () => {
  const row = {
    name: "deno-rnn-ts",
    config: "H100_T25_B1_V100",
    chars_per_s: 1234.5,
    gflops: 0.148,
    flops_per_char: 120000,
    segments: [1, 2, 3],
    loss_per_char: 4.2,
    optimizer: "adagrad" as const,
    backend: "ts (plain TypeScript kernels), 1 thread",
    rss_mib: [100, 101] as [number, number],
  };
  const table = formatTable([row], ["A"]);
  assertOk(
    table.includes("1,235") && table.includes("100 -> 101") && table.includes("backend: ts"),
  );
});

Deno.test("bench --configs GEN-RNN,GEN-LSTM64: generation speed lines in the peer's shape", {
  ignore: needs("read", "run"),
}, async () => {
  const r = await cli("bench", [
    "--configs",
    "GEN-RNN,GEN-LSTM64",
    "--seconds",
    "0.6",
    "--warmup",
    "0.1",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.map((l) => [l.name.replace(/-[a-z0-9]+$/, ""), l.config]), [
    ["deno-sample-rnn", "H512_L1_B1_V100"],
    ["deno-sample-lstm", "H512_L2_B64_V100"],
  ]);
  for (const l of lines) assertOk(l.chars_per_s > 0 && l.segments.length === 3, JSON.stringify(l));
});

const FLOP_CASES: [string, string, string, number][] = [
  ["LSTM", "deno-lstm-wasm", "H512_T50_B64_V100", 24 * 512 * 512 + 6 * 100 * 512],
  // the 5m recipe's two GRU layers: 18 H^2 for the first, 36 H^2 for the one above it
  ["GRULN", "deno-gru-ln-wasm", "L2_H384_T100_B32_V100", (18 + 36) * 384 * 384 + 6 * 100 * 384],
];
for (const [config, name, shape, flops] of FLOP_CASES) {
  Deno.test(`bench: ${config} runs ${name} at ${flops} FLOPs a character`, {
    ignore: needs("read", "run"),
  }, async () => {
    const r = await cli("bench", [
      ...["--configs", config, "--seconds", "0.03", "--warmup", "0", "--backend", "wasm"],
    ]);
    assertEquals(r.code, 0, r.stderr);
    const line = JSON.parse(r.stdout.trim());
    assertEquals([line.name, line.config, line.flops_per_char], [name, shape, flops]);
    assertOk(line.chars_per_s > 0 && line.segments.length === 3);
  });
}
