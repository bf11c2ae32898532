/**
 * Text in: symbols (code points or grapheme clusters), vocabularies over them, the bundled and
 * user corpora (files, folders, several, read in pieces and encoded compactly), train/validation
 * splits and B-stream batches, and name lists.
 *
 * @module
 */
export * from "./tokens.ts";
export * from "./vocab.ts";
export * from "./corpus.ts";
export * from "./text_files.ts";
export * from "./encoded_corpus.ts";
export * from "./corpus_ref.ts";
export * from "./data.ts";
export * from "./names.ts";
export * from "./sanskrit_names.ts";
export * from "./devanagari.ts";
