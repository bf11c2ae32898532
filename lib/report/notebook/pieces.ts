/**
 * Large displays in small messages. A mime bundle bigger than {@linkcode MAX_MESSAGE_BYTES} is
 * sent as several outputs: its HTML is gzip-compressed, base64-encoded and cut into pieces, each a
 * `<script>` that stores its part in the page; the last output joins the parts, decompresses them
 * and puts the HTML in place, running its scripts in order. The pieces are ordinary outputs, so
 * the live page, the saved notebook and its HTML export all reassemble them (the page needs
 * `DecompressionStream`: Chromium 80, Firefox 113, Safari 16.4 or later).
 *
 * Why: Deno 2.9.6's kernel writes a message to its iopub socket in several partial writes and
 * has two writers without a lock, so another message can land inside a multi-megabyte one; the
 * frontend then drops it as an invalid signature.
 *
 * @module
 */
import { toBase64 } from "../../io/quantize.ts";

/** The largest message a display sends, in bytes of its JSON (256 KiB). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Room left in each piece for the message's header and the piece's script. */
const OVERHEAD_BYTES = 4 * 1024;

/** A Jupyter mime bundle: mime type to content. */
export type Bundle = Record<string, unknown>;

let splitCount = 0;
const sessionTag = crypto.randomUUID().slice(0, 8);

/**
 * The bundles to send for one display: the bundle itself when it fits in `maxBytes`, else pieces
 * of its HTML and a last bundle that reassembles them (with the original `text/plain`, and its
 * other mime types when they fit).
 *
 * @param bundle The display's mime bundle; only `text/html` is split.
 * @param maxBytes The largest bundle, as JSON bytes (default {@linkcode MAX_MESSAGE_BYTES}).
 * @returns One bundle, or the pieces then the reassembling bundle.
 * @throws {RangeError} When the bundle is too large and has no `text/html` to split.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const html = `<p>${"many words ".repeat(40_000)}</p>`;
 * const parts = await splitBundle({ "text/plain": "text", "text/html": html }, 16_384);
 * assert.ok(parts.length > 1 && parts.every((p) => JSON.stringify(p).length <= 16_384));
 * assert.equal(parts.at(-1)!["text/plain"], "text");
 * ```
 */
export async function splitBundle(
  bundle: Bundle,
  maxBytes: number = MAX_MESSAGE_BYTES,
): Promise<Bundle[]> {
  if (jsonBytes(bundle) <= maxBytes) return [bundle];
  const html = bundle["text/html"];
  if (typeof html !== "string") {
    throw new RangeError(
      `Cannot send a display of ${jsonBytes(bundle)} bytes: only its text/html can be split; ` +
        `keep other mime types under ${maxBytes} bytes`,
    );
  }
  const id = `charrnn-pieces-${sessionTag}-${++splitCount}`;
  const packed = toBase64(await gzip(html));
  const room = maxBytes - OVERHEAD_BYTES;
  const pieces: Bundle[] = [];
  for (let at = 0; at < packed.length; at += room) {
    pieces.push({ "text/html": pieceHtml(id, pieces.length, packed.slice(at, at + room)) });
  }
  const last: Bundle = { "text/html": joinHtml(id, pieces.length) };
  for (const [mime, value] of Object.entries(bundle)) {
    if (mime !== "text/html" && jsonBytes({ ...last, [mime]: value }) <= maxBytes) {
      last[mime] = value;
    }
  }
  return [...pieces, last];
}

/** The size of a value as JSON, in UTF-8 bytes. */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A piece: stores its part of the base64 text under the display's id. */
function pieceHtml(id: string, index: number, part: string): string {
  return `<script type="text/javascript">(window.charrnnPieces = window.charrnnPieces || {});` +
    `(window.charrnnPieces["${id}"] = window.charrnnPieces["${id}"] || [])[${index}] = ` +
    `"${part}";</script>`;
}

/** The last output: a placeholder, and the script that joins the pieces and shows the HTML. */
function joinHtml(id: string, count: number): string {
  return `<div id="${id}">This output arrives in ${count} pieces that the page's scripts join: ` +
    `in Jupyter, trust the notebook (File, Trust Notebook) and reload, or open its HTML export.</div>
<script type="text/javascript">
(async function () {
  var root = document.getElementById("${id}");
  var parts = (window.charrnnPieces || {})["${id}"] || [];
  for (var i = 0; i < ${count}; i++) {
    if (typeof parts[i] !== "string") {
      root.textContent = "Piece " + (i + 1) + " of ${count} of this output is missing: re-run the cell.";
      return;
    }
  }
  var bytes = Uint8Array.from(atob(parts.join("")), function (c) { return c.charCodeAt(0); });
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  root.innerHTML = await new Response(stream).text();
  root.querySelectorAll("script").forEach(function (old) {
    var script = document.createElement("script");
    for (var a = 0; a < old.attributes.length; a++) {
      script.setAttribute(old.attributes[a].name, old.attributes[a].value);
    }
    script.text = old.text;
    old.replaceWith(script);
  });
})();
</script>`;
}
