/**
 * Which endpoints of a Service carry traffic, as kube-proxy counts them: the ready ones; when the
 * Service has none, the serving ones (pods terminating that still serve, `serving: true` with
 * `terminating: true`). A condition left unset reads as in the API: `ready` as true, `serving`
 * as `ready`. Shared by the speaker's election input and `kubectl ironlb`.
 */
export interface EndpointConditions {
  readonly ready?: boolean | undefined;
  readonly serving?: boolean | undefined;
}

export const isReady = (c: EndpointConditions | undefined): boolean => c?.ready !== false;

export const isServing = (c: EndpointConditions | undefined): boolean =>
  (c?.serving ?? isReady(c)) !== false;

/** The endpoints that carry traffic: the ready ones, else the serving ones. */
export function usableEndpoints<T extends { readonly conditions?: EndpointConditions | undefined }>(
  endpoints: readonly T[],
): T[] {
  const ready = endpoints.filter((e) => isReady(e.conditions));
  return ready.length > 0 ? ready : endpoints.filter((e) => isServing(e.conditions));
}
