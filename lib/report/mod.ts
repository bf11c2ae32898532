/**
 * Reporting: Plotly figures and Jupyter bundles, live plots, tables, the progress text the CLI and
 * notebooks share, the notebooks' training monitor, and generator widgets that run in the page.
 *
 * @module
 */
export * from "./plot.ts";
export * from "./plot_bundle.ts";
export * from "./plot_live.ts";
export * from "./notebook/show.ts";
export * from "./notebook/flush.ts";
export * from "./notebook/send.ts";
export * from "./notebook/pieces.ts";
export * from "./table.ts";
export * from "./progress.ts";
export * from "./curves.ts";
export * from "./monitor.ts";
export * from "./widget_payload.ts";
export * from "./widget.ts";
