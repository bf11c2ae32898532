/**
 * The page side of a generator widget (`../widget.ts`), bundled into `bundle.ts` by
 * `build.ts`. It rebuilds the model from the widget's payload on the plain TypeScript
 * backend and wires the controls: Generate runs the library's `sampleChunks` (the text of
 * `sample`, a few characters at a time) and appends each piece to the page, pausing for the
 * browser between pieces so the text appears as it is generated. No kernel is involved, so it
 * works after the kernel is gone and in an HTML export.
 *
 * Loading it defines `globalThis.charrnnWidget.mount(id, payload)`. Everything it imports must
 * run in a browser: no `Deno` API.
 *
 * @module
 */
import { Rng } from "../../core/rng.ts";
import { sampleChunks } from "../../generate/chunks.ts";
import type { CharModel } from "../../model/char_model.ts";
import type { Vocab } from "../../text/vocab.ts";
import { unpackModel, type WidgetPayload } from "../widget_payload.ts";

/** The little of the DOM the widget uses. */
interface PageElement {
  textContent: string | null;
  value: string;
  disabled: boolean;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
  addEventListener(type: string, listener: (event: { stopPropagation(): void }) => void): void;
  append(...nodes: (PageElement | string)[]): void;
}
declare const document: { getElementById(id: string): PageElement | null } & {
  createElement(tag: string): PageElement;
};

/** The controls of one widget. */
interface View {
  root: PageElement;
  prime: PageElement;
  temperature: PageElement;
  topP: PageElement;
  length: PageElement;
  seed: PageElement;
  button: PageElement;
  output: PageElement;
  status: PageElement;
  kernelText: PageElement | null;
  runs: number;
}

const PIECE = 4; // characters per piece between pauses
const MAX_LENGTH = 20_000;

/**
 * Sets up the widget whose root element has id `id`.
 *
 * @param id The id of the widget's root element.
 * @param payload The model it carries.
 */
function mount(id: string, payload: WidgetPayload): void {
  const root = document.getElementById(id);
  if (root === null) return;
  const get = (role: string) => {
    const el = root.querySelector(`[data-role="${role}"]`);
    if (el === null) throw new Error(`Widget ${id} has no ${role} element`);
    return el;
  };
  const view: View = {
    root,
    prime: get("prime"),
    temperature: get("temperature"),
    topP: get("top-p"),
    length: get("length"),
    seed: get("seed"),
    button: get("generate"),
    output: get("output"),
    status: get("status"),
    kernelText: root.querySelector('[data-role="kernel-sample"]'),
    runs: 0,
  };
  try {
    const { model, vocab } = unpackModel(payload);
    // Keys typed into the controls are no notebook shortcuts: Notebook 6 turns its shortcuts off
    // while an HTML output has the focus, other frontends may not.
    root.addEventListener("keydown", (event) => event.stopPropagation());
    for (const name of ["temperature", "top-p"]) {
      const input = get(name), shown = get(`${name}-value`);
      input.addEventListener("input", () => shown.textContent = input.value);
    }
    view.button.addEventListener("click", () => void run(view, model, vocab));
    view.button.disabled = false;
    view.status.textContent = "Ready: the model runs in this page.";
    root.dataset.state = "ready";
  } catch (error) {
    fail(view, error);
  }
}

/** Generates into the output with the current settings; a new click replaces a running one. */
async function run(view: View, model: CharModel, vocab: Vocab): Promise<void> {
  const token = ++view.runs;
  const { root, output, status } = view;
  const prime = view.prime.value;
  const length = Math.min(MAX_LENGTH, Math.max(0, Math.floor(Number(view.length.value) || 0)));
  const seed = Math.max(0, Math.floor(Number(view.seed.value) || 0));
  const options = {
    prime,
    length,
    temperature: Number(view.temperature.value),
    topP: Number(view.topP.value),
    rng: new Rng(seed),
    chunk: PIECE,
  };
  output.textContent = "";
  const head = document.createElement("b");
  head.textContent = prime;
  output.append(head);
  root.dataset.state = "running";
  status.textContent = "Generating...";
  const start = performance.now();
  try {
    const pieces = sampleChunks(model, vocab, options);
    for (let next = pieces.next(); !next.done; next = pieces.next()) {
      output.append(next.value);
      await pause();
      if (token !== view.runs) return; // replaced by a newer click
    }
    const ms = Math.round(performance.now() - start);
    const kernel = view.kernelText?.textContent;
    const same = kernel === undefined || kernel === null
      ? ""
      : output.textContent === kernel
      ? "; the same text as the kernel's for these settings"
      : "";
    const unit = vocab.tokens === "graphemes" ? "aksharas (grapheme clusters)" : "characters";
    status.textContent = `${length} ${unit} in ${ms} ms (seed ${seed})${same}.`;
    root.dataset.state = "done";
  } catch (error) {
    if (token === view.runs) fail(view, error);
  }
}

function fail(view: View, error: unknown): void {
  view.status.textContent = `Error: ${(error as Error).message ?? String(error)}`;
  view.root.dataset.state = "error";
}

/** Lets the browser draw and handle input before the next piece. */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

(globalThis as { charrnnWidget?: unknown }).charrnnWidget = { mount };
