/**
 * Training: the validated config, its recipes (presets) and its former field names, the training
 * loop and its divergence guard, optimizers, learning-rate schedules, clipping, the weight average
 * and gradient checks.
 *
 * @module
 */
export * from "./config.ts";
export * from "./config_fields.ts";
export * from "./former_names.ts";
export * from "./presets.ts";
export * from "./trainer.ts";
export * from "./events.ts";
export * from "./train_loop.ts";
export * from "./time_budget.ts";
export * from "./evaluate.ts";
export * from "./divergence.ts";
export * from "./guarded_run.ts";
export * from "./snapshot.ts";
export * from "./optim.ts";
export * from "./schedule.ts";
export * from "./clip.ts";
export * from "./average.ts";
export * from "./gradcheck.ts";
