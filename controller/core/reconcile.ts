/**
 * The controller's decision for one Service: state and Service in, the write, the Events and an
 * `ok | retry | fatal` outcome out. `decideService` is synchronous (allocations happen one at a
 * time, whatever the number of workers); `reconcileService` hands the write to the ClusterWriter
 * and maps its result. A Service that already shows the right state causes no write.
 */
import { fatal, OK, retry, type WorkOutcome } from "../../lib/core/outcome.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import type { Allocator, Cleared } from "./allocator.js";
import type { ClusterWriter, ServiceView, ServiceWrite } from "./cluster-writer.js";
import { handlesService, serviceRequest, type ServiceInfo } from "./service-request.js";
import {
  type Attempt,
  type EventSpec,
  releasedOutcome,
  serviceOutcome,
  type ServiceOutcome,
} from "./service-outcome.js";

export interface LoopState {
  readonly allocator: Allocator;
  readonly lbClass: string;
  /** Services that wanted an IP and got none: retried whenever an address may have freed up. */
  readonly pending: Set<string>;
  /** Addresses taken away by a pool edit, reported when the Service gets new ones. */
  readonly cleared: Map<string, Cleared>;
  /** Whether an L2Advertisement selects the pool. */
  readonly advertised: (pool: string) => boolean;
}

export interface Decision {
  readonly write: ServiceWrite | undefined;
  readonly events: readonly EventSpec[];
  /** Addresses were freed: the pending Services may get one now. */
  readonly freed: boolean;
}

export interface Reconciled {
  readonly outcome: WorkOutcome;
  readonly freed: boolean;
}

/** Frees the addresses of `key`; true when it held any. */
function release(state: LoopState, key: string): boolean {
  state.pending.delete(key);
  return state.allocator.release(key).length > 0;
}

function attemptFor(
  state: LoopState,
  key: string,
  info: ServiceInfo,
): { attempt: Attempt; freed: boolean } {
  const request = serviceRequest(info, state.lbClass);
  const lost = state.cleared.get(key);
  if (!request.ok) {
    const held = state.allocator.ipsOf(key);
    const pool = state.allocator.poolOf(key) ?? "";
    const freed = release(state, key);
    const cleared = lost ?? (held && { ips: held, pool, message: request.error.message });
    return { attempt: { ok: false, failure: request.error, cleared }, freed };
  }
  const result = state.allocator.allocate(key, request.value);
  const cleared = lost ?? (result.ok ? result.value.cleared : result.error.cleared);
  const attempt: Attempt = result.ok
    ? { ok: true, ips: result.value.ips, pool: result.value.pool, cleared }
    : { ok: false, failure: result.error, cleared };
  return { attempt, freed: false };
}

function toDecision(view: ServiceView, outcome: ServiceOutcome | undefined, freed: boolean) {
  if (!outcome || (!outcome.writeStatus && !outcome.writeAnnotation)) {
    return { write: undefined, events: outcome?.events ?? [], freed };
  }
  const status = outcome.writeStatus
    ? {
        ingress: outcome.ingress,
        condition: outcome.condition,
        current: view.conditions,
        generation: view.generation,
      }
    : undefined;
  const pool = outcome.writeAnnotation ? (outcome.pool ?? null) : undefined;
  return { write: { ref: view.ref, status, pool }, events: outcome.events, freed };
}

/** What to write for Service `key` (`undefined`: it was deleted). Updates the allocations. */
export function decideService(
  state: LoopState,
  key: string,
  view: ServiceView | undefined,
): Decision {
  if (!view) {
    state.cleared.delete(key);
    return { write: undefined, events: [], freed: release(state, key) };
  }
  if (!handlesService(view.info, state.lbClass)) {
    const freed = release(state, key);
    // A LoadBalancer of another class belongs to another controller (maybe another IronLB with
    // the same annotation and condition): never touch it. The class is immutable, so only a type
    // change takes a Service away from us.
    const outcome = view.info.type === "LoadBalancer" ? undefined : releasedOutcome(view.shown);
    return toDecision(view, outcome, freed);
  }
  const { attempt, freed } = attemptFor(state, key, view.info);
  if (attempt.ok) state.pending.delete(key);
  else state.pending.add(key);
  const advertised = attempt.ok && state.advertised(attempt.pool);
  return toDecision(view, serviceOutcome(attempt, view.shown, advertised), freed);
}

/**
 * Decides, writes through `writer`, then reports the Events (only once the state they describe
 * is written, so a retried write does not repeat them).
 */
export async function reconcileService(
  state: LoopState,
  key: string,
  view: ServiceView | undefined,
  writer: ClusterWriter,
): Promise<Reconciled> {
  const decision = decideService(state, key, view);
  const { write, freed } = decision;
  if (write) {
    const result = await writer.writeService(write);
    if (!result.ok && result.error.kind === "gone") return { outcome: OK, freed };
    if (!result.ok) {
      const reason = result.error.message;
      return { outcome: result.error.kind === "fatal" ? fatal(reason) : retry(reason), freed };
    }
  }
  state.cleared.delete(key);
  if (view) for (const event of decision.events) writer.recordEvent(view.ref, event);
  else writer.forgetEvents(key);
  return { outcome: OK, freed };
}

/**
 * Startup gate: gives Service `key`, which shows IPs, exactly those IPs again. Undefined when
 * there is nothing to restore (no IPs shown, not ours); else whether the IPs were valid.
 */
export function restoreShown(
  state: LoopState,
  key: string,
  view: ServiceView,
): Result<void, string> | undefined {
  const { info, shown } = view;
  if (shown.ingress.length === 0 || !handlesService(info, state.lbClass)) return undefined;
  const request = serviceRequest(info, state.lbClass);
  if (!request.ok) return err(request.error.message);
  const result = state.allocator.assign(key, request.value, shown.ingress);
  return result.ok ? ok(undefined) : err(result.error.message);
}
