/**
 * Reporting: Plotly figures and Jupyter bundles, live plots, tables, and the progress text the CLI and notebooks share.
 *
 * @module
 */
export * from "./plot.ts";
export * from "./plot_bundle.ts";
export * from "./plot_live.ts";
export * from "./table.ts";
export * from "./progress.ts";
