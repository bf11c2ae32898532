// The generator widget without a browser: its page code (the committed bundle) runs here on a
// small fake DOM with `Deno` hidden, so these tests check what the page computes; the browser
// test checks the same in Chromium. Also: payload sizes, the cost of packing, escaping.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { sample } from "../../lib/generate/sample.ts";
import type { Precision } from "../../lib/io/quantize.ts";
import type { CharModel } from "../../lib/model/char_model.ts";
import { createModel } from "../../lib/model/create.ts";
import { VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { namesToText } from "../../lib/text/names.ts";
import { sanskritNames } from "../../lib/text/sanskrit_names.ts";
import { buildVocab, type Vocab } from "../../lib/text/vocab.ts";
import { type GeneratorWidget, generatorWidget, packingCosts } from "../../lib/report/widget.ts";
import { packModel, unpackModel } from "../../lib/report/widget_payload.ts";
import { WIDGET_SCRIPT } from "../../lib/report/widget/bundle.ts";

const TEXT = "the quick brown fox jumps over the lazy dog. a dog sat on the mat.\n";

/** An element of the fake page: text children, value, dataset, listeners. */
class FakeElement {
  children: (FakeElement | string)[] = [];
  value = "";
  disabled = false;
  dataset: Record<string, string> = {};
  listeners = new Map<string, ((event: { stopPropagation(): void }) => void)[]>();
  appends = 0;
  constructor(readonly roles: Map<string, FakeElement> = new Map()) {}
  get textContent(): string {
    return this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join("");
  }
  set textContent(text: string) {
    this.children = text ? [text] : [];
  }
  querySelector(selector: string): FakeElement | null {
    return this.roles.get(/data-role="([^"]+)"/.exec(selector)?.[1] ?? "") ?? null;
  }
  addEventListener(type: string, f: (event: { stopPropagation(): void }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), f]);
  }
  append(...nodes: (FakeElement | string)[]): void {
    this.children.push(...nodes);
    this.appends++;
  }
  fire(type: string): void {
    for (const f of this.listeners.get(type) ?? []) f({ stopPropagation() {} });
  }
}

/** The widget's HTML as a fake page: one element per data-role, with the HTML's values. */
function fakePage(html: string): { root: FakeElement; role: (name: string) => FakeElement } {
  const roles = new Map<string, FakeElement>();
  for (const m of html.matchAll(/<(\w+) data-role="([^"]+)"([^>]*)>([^<]*)/g)) {
    const el = new FakeElement();
    const value = /value="([^"]*)"/.exec(m[3]!)?.[1];
    if (value !== undefined) {
      el.value = value.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(+c));
    }
    el.disabled = /\bdisabled\b/.test(m[3]!);
    if (m[4]) el.textContent = m[4].replace(/&#(\d+);/g, (_, c) => String.fromCharCode(+c));
    roles.set(m[2]!, el);
  }
  return { root: new FakeElement(roles), role: (name) => roles.get(name)! };
}

/** Runs the widget's script on a fake page with `Deno` hidden; returns the page. */
function mountInFakePage(widget: GeneratorWidget) {
  const html = widget.html();
  const page = fakePage(html);
  const fakeGlobal: { charrnnWidget?: { mount(id: string, payload: unknown): void } } = {};
  const fakeDocument = {
    getElementById: (id: string) => (id === widget.id ? page.root : null),
    createElement: () => new FakeElement(),
  };
  const script = html.slice(html.indexOf("<script"), html.lastIndexOf("</script>"));
  assertOk(script.includes(WIDGET_SCRIPT), "the output embeds the committed bundle");
  new Function("Deno", "globalThis", "document", WIDGET_SCRIPT)(
    undefined,
    fakeGlobal,
    fakeDocument,
  );
  const call = script.slice(script.indexOf(WIDGET_SCRIPT) + WIDGET_SCRIPT.length);
  new Function("charrnnWidget", call)(fakeGlobal.charrnnWidget);
  return page;
}

/** Clicks Generate and waits until the page is done; returns the states seen. */
async function generate(page: ReturnType<typeof fakePage>): Promise<string[]> {
  const states: string[] = [];
  page.role("generate").fire("click");
  for (let i = 0; i < 10_000 && page.root.dataset.state !== "done"; i++) {
    states.push(page.root.dataset.state!);
    if (page.root.dataset.state === "error") break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return states;
}

function smallModel(vocab: Vocab, cell: "lstm" | "rnn" = "lstm"): CharModel {
  return createModel(
    { cell, vocabSize: vocab.chars.length, hiddenSize: 24, numLayers: 2 },
    new Rng(5),
    {
      backend: createBackend({ kind: "ts" }),
    },
  );
}

Deno.test("page code: an unquantized widget generates exactly sample()'s text, piece by piece", async () => {
  const vocab = buildVocab(TEXT), model = smallModel(vocab);
  const widget = generatorWidget(model, vocab, {
    precision: "f32",
    prime: "the ",
    seed: 9,
    showKernelText: true,
  });
  const page = mountInFakePage(widget);
  assertEquals([page.root.dataset.state, page.role("generate").disabled], ["ready", false]);
  const states = await generate(page);
  const expected = "the " +
    sample(model, vocab, {
      prime: "the ",
      length: 300,
      temperature: 0.8,
      topP: 0.95,
      rng: new Rng(9),
    });
  assertEquals(page.role("output").textContent, expected);
  assertEquals(widget.kernelText(), expected);
  assertOk(states.includes("running"), "the page was seen mid-generation");
  assertOk(page.role("output").appends > 10, "the text arrived in pieces");
  assertOk(page.role("status").textContent.includes("the same text as the kernel's"));
});

Deno.test("page code: another temperature or seed gives another text; a bad prime is reported", async () => {
  const vocab = buildVocab(TEXT), model = smallModel(vocab);
  const page = mountInFakePage(generatorWidget(model, vocab, { prime: "a ", length: 80 }));
  await generate(page);
  const first = page.role("output").textContent;
  page.role("temperature").value = "1.6";
  await generate(page);
  const hotter = page.role("output").textContent;
  assertOk(hotter.startsWith("a ") && hotter !== first);
  page.role("temperature").value = "0.8";
  await generate(page);
  assertEquals(
    page.role("output").textContent,
    first,
    "the same settings give the same text again",
  );
  page.role("prime").value = "Zebra";
  await generate(page);
  assertEquals(page.root.dataset.state, "error");
  assertOk(page.role("status").textContent.includes('"Z" (U+005A)'));
});

Deno.test("page code: a grapheme model takes a Devanagari prime and writes whole aksharas", async () => {
  const text = namesToText(sanskritNames());
  const vocab = buildVocab(text, { tokens: "graphemes" }), model = smallModel(vocab, "rnn");
  const widget = generatorWidget(model, vocab, { precision: "f16", prime: "लक्ष्मी", length: 60 });
  assertEquals(unpackModel(widget.payload).vocab.tokens, "graphemes");
  const page = mountInFakePage(widget);
  await generate(page);
  assertEquals(page.root.dataset.state, "done");
  assertEquals(page.role("output").textContent, widget.kernelText());
});

Deno.test("payload: under 1 MB for the foundation notebook's model at int8 and f16, exact at f32", () => {
  const vocab = buildVocab([...Array(90).keys()].map((i) => String.fromCodePoint(32 + i)).join(""));
  const model = createModel({ cell: "rnn", vocabSize: 90, hiddenSize: 256 }, new Rng(1), {
    backend: createBackend({ kind: "ts" }),
  });
  const sizes: Record<string, number> = {};
  for (const precision of ["f32", "f16", "int8"] as Precision[]) {
    const widget = generatorWidget(model, vocab, { precision });
    sizes[precision] = new TextEncoder().encode(widget.html()).length;
  }
  console.log(`widget output, RNN 256 x 90 symbols: ${JSON.stringify(sizes)} bytes`);
  assertOk(sizes.int8! < 250_000 && sizes.f16! < 450_000 && sizes.f16! < sizes.f32!);
  const exact = unpackModel(packModel(model, vocab, "f32")).model;
  for (const [name, p] of Object.entries(model.params)) {
    assertEquals(exact.params[name]!.data, p.data);
  }
});

Deno.test("packing costs: measured on held-out text, f32 exact, f16 and int8 close", () => {
  const vocab = buildVocab(TEXT), model = smallModel(vocab);
  const costs = packingCosts(model, vocab, TEXT.repeat(3));
  const change = costs.map((c) => c.packed.bits - c.original.bits);
  console.log(
    `bits/char change: ${
      costs.map((c, i) => `${c.precision} ${change[i]!.toExponential(1)}`).join(", ")
    }`,
  );
  assertEquals(change[0], 0);
  assertOk(Math.abs(change[1]!) < 1e-3 && Math.abs(change[2]!) < 5e-2 && change[2] !== 0);
  assertOk(costs[0]!.bytes > 3 * costs[2]!.bytes);
  const widget = generatorWidget(model, vocab, { heldOut: TEXT });
  assertOk(
    /on \d+ held-out characters: [\d.]+ bits\/char with the trained weights, [\d.]+ with these/
      .test(
        widget.caption,
      ),
  );
});

Deno.test("the output is one script, escaped: a prime or title with markup stays text", () => {
  const vocab = buildVocab(TEXT + "<>/&\"'"), model = smallModel(vocab);
  const widget = generatorWidget(model, vocab, { prime: "</script><b>&'\"", title: "<i>x</i>" });
  const html = widget.html();
  assertEquals(html.split("</script>").length, 2, "only the widget's own script ends");
  assertOk(html.includes('value="&#60;/script&#62;&#60;b&#62;&#38;&#39;&#34;"'));
  assertOk(html.includes("&#60;i&#62;x&#60;/i&#62;"));
  assertEquals(mountInFakePage(widget).role("prime").value, "</script><b>&'\"");
});

Deno.test("only StackedRnn models pack: the seed's VanillaRnn names the fix", () => {
  const vocab = buildVocab("abc");
  const seed = new VanillaRnn(new Rng(1), { vocabSize: 3, hiddenSize: 4 });
  assertThrows(() => generatorWidget(seed, vocab), /not those of a StackedRnn.*createModel/);
});

Deno.test("a layer-normalised model packs for the page with its norm and samples the same", () => {
  const vocab = buildVocab(TEXT);
  const config = {
    cell: "gru",
    vocabSize: vocab.chars.length,
    hiddenSize: 8,
    norm: "layer",
  } as const;
  const model = createModel(config, new Rng(3), { backend: createBackend({ kind: "ts" }) });
  for (const p of Object.values(model.params)) p.data.forEach((v, k) => p.data[k] = v + 0.01 * k);
  const payload = packModel(model, vocab, "f32");
  assertEquals(payload.model.norm, "layer");
  const page = unpackModel(payload).model;
  assertEquals(page.config.norm, "layer");
  const text = (m: CharModel) => sample(m, vocab, { length: 40, rng: new Rng(4), prime: "a" });
  assertEquals(text(page), text(model));
  // a payload without a norm (as before norms existed) is a plain model: the gains are refused
  assertEquals(unpackModel(packModel(smallModel(vocab), vocab, "f32")).model.config.norm, "none");
  const { norm: _, ...withoutNorm } = payload.model;
  assertThrows(() => unpackModel({ ...payload, model: withoutNorm }), /tensor "l0.gx" is not in/);
});

Deno.test("a model with zoneout packs for the page with its rate and samples the same", () => {
  const vocab = buildVocab(TEXT);
  const config = {
    cell: "gru",
    vocabSize: vocab.chars.length,
    hiddenSize: 8,
    zoneout: 0.3,
  } as const;
  const model = createModel(config, new Rng(3), { backend: createBackend({ kind: "ts" }) });
  const payload = packModel(model, vocab, "f32");
  assertEquals(payload.model.zoneout, 0.3);
  const page = unpackModel(payload).model;
  const text = (m: CharModel) => sample(m, vocab, { length: 40, rng: new Rng(4), prime: "a" });
  assertEquals(text(page), text(model));
  // the rate changes what the page generates: without it the same weights write another text
  const { zoneout: _, ...withoutZoneout } = payload.model;
  assertOk(text(unpackModel({ ...payload, model: withoutZoneout }).model) !== text(model));
});
