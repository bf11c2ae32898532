/**
 * The generator widgets of a notebook page, used as a person uses them, in Chromium: each one
 * gets ready; a widget that carries the kernel's text (float32 weights) generates exactly that
 * text; in the first one a typed prime starts a text that arrives piece by piece, a different
 * temperature gives a different text, and, with the kernel shut down, the same settings give
 * the same text again. Used by `browser_test.ts` on the live Notebook 6 page and the HTML export.
 *
 * @module
 */
import type { Locator, Page } from "playwright-core";
import { assertEquals, assertOk } from "../assert.ts";
import type { Notebook } from "./notebook_support.ts";

/** The root element of every generator widget. */
export const WIDGET_SELECTOR = ".charrnn-widget";

/** What a prime typed into the first widget of each notebook is (characters of its model). */
export const TYPED_PRIMES: Readonly<Record<string, string>> = {
  foundation: "The man ",
  names: "गो",
};

/** The little of the page's DOM the functions evaluated in Chromium use. */
interface WidgetElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  value: string;
  querySelector(selector: string): WidgetElement | null;
  dispatchEvent(event: Event): boolean;
  charrnnUpdates?: number;
}
declare const document: { querySelectorAll(selector: string): Iterable<WidgetElement> };
declare const MutationObserver: new (callback: () => void) => {
  observe(target: WidgetElement, options: { childList: boolean; characterData: boolean }): void;
};

/**
 * How many outputs of an executed notebook are generator widgets.
 *
 * @param notebook The executed notebook.
 * @returns The count.
 */
export function widgetOutputCount(notebook: Notebook): number {
  let n = 0;
  for (const cell of notebook.cells) {
    for (const out of cell.outputs ?? []) {
      // a widget's text/plain names it, also when its HTML went in pieces
      const plain = out.data?.["text/plain"];
      const text = Array.isArray(plain) ? plain.join("") : String(plain ?? "");
      if (text.startsWith("Generator widget:")) n++;
    }
  }
  return n;
}

/** Clicks Generate and waits for the end; the text and how often it changed on the way. */
async function generate(widget: Locator): Promise<{ text: string; updates: number }> {
  await widget.evaluate((root: WidgetElement) => {
    const output = root.querySelector('[data-role="output"]')!;
    root.charrnnUpdates = 0;
    new MutationObserver(() => {
      if (root.dataset.state === "running") root.charrnnUpdates! += 1;
    }).observe(output, { childList: true, characterData: true });
  });
  await widget.locator('[data-role="generate"]').click();
  await widget.page().waitForFunction(
    (root: WidgetElement) => root.dataset.state === "done" || root.dataset.state === "error",
    await widget.elementHandle(),
    { timeout: 60_000, polling: 50 },
  );
  const status = await widget.locator('[data-role="status"]').textContent();
  assertEquals(await widget.getAttribute("data-state"), "done", `generation failed: ${status}`);
  const text = (await widget.locator('[data-role="output"]').textContent()) ?? "";
  const updates = await widget.evaluate((root: WidgetElement) => root.charrnnUpdates ?? 0);
  return { text, updates };
}

/** Moves a slider as a person does: a new value and an input event. */
async function setSlider(widget: Locator, role: string, value: number): Promise<void> {
  await widget.locator(`[data-role="${role}"]`).evaluate((input: WidgetElement, v: string) => {
    input.value = v;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, String(value));
  const shown = await widget.locator(`[data-role="${role}-value"]`).textContent();
  assertEquals(Number(shown), value, `the ${role} label follows the slider`);
}

/** Options of {@linkcode checkWidgets}. */
export interface WidgetCheck {
  /** Widget outputs the page must show. */
  expected: number;
  /** What to type into the first widget's prime box. */
  prime: string;
  /** Screenshot path prefix, e.g. `test-artifacts/browser/foundation-notebook`. */
  shots: string;
  /** Shuts the kernel down (the live notebook page); then the widget must still generate. */
  stopKernel?: () => Promise<void>;
}

/**
 * Checks the widgets of a page; see the module doc.
 *
 * @param page The page, its outputs rendered.
 * @param check Expected count, prime, screenshot prefix, how to stop the kernel.
 * @returns One line on what was checked.
 */
export async function checkWidgets(page: Page, check: WidgetCheck): Promise<string> {
  const { expected, prime, shots } = check;
  if (expected === 0) return "no widgets";
  await page.waitForFunction(
    ({ selector, n }) =>
      [...document.querySelectorAll(selector)].filter((w) => w.dataset.state === "ready")
        .length >= n,
    { selector: WIDGET_SELECTOR, n: expected },
    { timeout: 60_000, polling: 250 },
  );
  const widgets = page.locator(WIDGET_SELECTOR);
  assertEquals(await widgets.count(), expected, "generator widgets on the page");
  let kernelChecks = 0;
  for (let i = 0; i < expected; i++) {
    const widget = widgets.nth(i), kernel = widget.locator('[data-role="kernel-sample"]');
    if ((await kernel.count()) === 0) continue;
    const { text } = await generate(widget);
    assertEquals(text, await kernel.textContent(), `widget ${i}: the page's text is the kernel's`);
    kernelChecks++;
  }
  const first = widgets.first();
  await first.scrollIntoViewIfNeeded();
  const box = first.locator('[data-role="prime"]');
  const cells = await page.locator(".cell").count();
  await box.fill("");
  await box.pressSequentially(prime, { delay: 15 });
  assertEquals(await box.inputValue(), prime, "the prime box took the typed text");
  assertEquals(await page.locator(".cell").count(), cells, "typing ran no notebook shortcut");
  const typed = await generate(first);
  assertOk(
    typed.text.startsWith(prime),
    `the text starts with the prime: ${typed.text.slice(0, 40)}`,
  );
  assertOk(typed.text.length > prime.length + 50, "text was generated");
  assertOk(typed.updates >= 3, `the text arrived in pieces (${typed.updates} updates)`);
  await setSlider(first, "temperature", 1.5);
  const hotter = await generate(first);
  assertOk(hotter.text.startsWith(prime) && hotter.text !== typed.text, "temperature 1.5 differs");
  await setSlider(first, "temperature", 0.8);
  await first.screenshot({ path: `${shots}-widget.png`, timeout: 30_000 });
  let withoutKernel = "";
  if (check.stopKernel) {
    await check.stopKernel();
    const again = await generate(first);
    assertEquals(again.text, typed.text, "without the kernel the same settings give the same text");
    await first.screenshot({ path: `${shots}-widget-no-kernel.png`, timeout: 30_000 });
    withoutKernel = ", again with the kernel shut down";
  }
  return `${expected} widget(s): ${kernelChecks} equal to the kernel's text, typed prime ` +
    `${JSON.stringify(prime)} streamed in ${typed.updates} pieces, temperature 1.5 differs` +
    withoutKernel;
}
