/**
 * What every backend class shares besides its kernels: its identity (kind, description,
 * threads, skipped faster backends) and who plans its matrix products.
 *
 * @module
 */
import { type GemmKernel, type GemmPlan, type ResolvedGemmPlan, resolveGemmPlan } from "./gemm.ts";
import type { BackendKind } from "./types.ts";

/** The setup of a backend class. */
export interface BackendSetup {
  /** Which backend it is (`"openblas"` when OpenBLAS runs the products). */
  kind: BackendKind;
  /** Human-readable description. */
  detail: string;
  /** Threads of the matrix products; default 1. */
  threads?: number;
  /** Why faster backends were skipped. */
  skipped?: readonly string[];
  /** Planner of the matrix products; default the class's own. */
  gemm?: (plan: ResolvedGemmPlan) => GemmKernel;
}

/**
 * The identity fields of {@linkcode Backend}, set from a {@linkcode BackendSetup}, and its
 * `gemm` planner.
 */
export abstract class BackendBase {
  /** See {@linkcode Backend.kind}. */
  readonly kind: BackendKind;
  /** See {@linkcode Backend.detail}. */
  readonly detail: string;
  /** See {@linkcode Backend.threads}. */
  readonly threads: number;
  /** See {@linkcode Backend.skipped}. */
  readonly skipped: readonly string[];
  #planner: (plan: ResolvedGemmPlan) => GemmKernel;

  /**
   * Copies the identity of a setup.
   *
   * @param setup Kind, description, threads, skipped backends, matrix products.
   * @param planner The class's own planner of matrix products (when the setup has none).
   */
  constructor(setup: BackendSetup, planner: (plan: ResolvedGemmPlan) => GemmKernel) {
    this.kind = setup.kind;
    this.detail = setup.detail;
    this.threads = setup.threads ?? 1;
    this.skipped = setup.skipped ?? [];
    this.#planner = setup.gemm ?? planner;
  }

  /** See {@linkcode Backend.gemm}. @param plan The product. @returns Its kernel. */
  gemm(plan: GemmPlan): GemmKernel {
    return this.#planner(resolveGemmPlan(plan));
  }
}
