/**
 * Errors of the Kubernetes API client. An answer other than 2xx becomes an ApiError carrying the
 * HTTP status as `code` (as @kubernetes/client-node's ApiException did, so callers that test
 * `code === 404` or `409` keep working) and the apiserver's Status object when it sent one.
 */

/** The `Status` object the apiserver answers a failed call with (the fields IronLB reads). */
export interface ApiStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    /** HTTP status code of the answer, e.g. 404, 409, 410. */
    readonly code: number,
    /** The Status the apiserver sent, when the body was one. */
    readonly status: ApiStatus | undefined,
    what: string,
  ) {
    const detail = status?.message ?? "";
    const reason = status?.reason ? ` ${status.reason}` : "";
    super(`${what}: HTTP ${code}${reason}${detail ? `: ${detail}` : ""}`);
  }

  /** `Status.reason`, e.g. "NotFound", "AlreadyExists", "Conflict", "Expired". */
  get reason(): string | undefined {
    return this.status?.reason;
  }
}

/** An answer whose body was not the JSON the call expects. */
export class ApiResponseError extends Error {
  readonly code = "IRONLB_KUBE_BAD_RESPONSE";
}

/** The client's configuration (kubeconfig file, in-cluster files) is unusable. */
export class KubeConfigError extends Error {
  readonly code = "IRONLB_KUBE_CONFIG";
}

/** What `body` says about a failed call: its Status, or a Status made of its text. */
export function statusOf(body: string): ApiStatus | undefined {
  if (body.trim() === "") return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === "object" && (parsed as ApiStatus).kind === "Status") {
      return parsed;
    }
  } catch {
    // not JSON (a proxy's error page): keep the start of the text as the message
  }
  return { message: body.slice(0, 300) };
}
