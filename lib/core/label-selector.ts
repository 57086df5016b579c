/**
 * Kubernetes label selectors (`metav1.LabelSelector`): validation and matching.
 * `matchLabels` and every `matchExpressions` requirement are ANDed; an empty selector matches
 * everything. Validation follows apimachinery: known operator, values present for In/NotIn and
 * absent for Exists/DoesNotExist, keys and values with label syntax.
 */
import { err, ok, type Result } from "./result.js";

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

/** The wire shape, as found in CRDs. */
export interface LabelSelector {
  readonly matchLabels?: Labels | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirement[] | undefined;
}

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: ReadonlySet<string>;
}

/** A validated selector, ready to match. */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

export type LabelSelectorErrorCode = "BAD_OPERATOR" | "BAD_VALUES" | "BAD_KEY" | "BAD_VALUE";

export interface LabelSelectorError {
  readonly code: LabelSelectorErrorCode;
  /** Path inside the selector, e.g. `matchExpressions[0].operator`. */
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length <= 63 && NAME.test(name);
}

export const isLabelValue = (value: string): boolean =>
  value === "" || (value.length <= 63 && NAME.test(value));

const isOperator = (op: string): op is SelectorOperator =>
  (SELECTOR_OPERATORS as readonly string[]).includes(op);

const fail = (
  code: LabelSelectorErrorCode,
  field: string,
  value: string,
  why: string,
): Result<never, LabelSelectorError> => err({ code, field, value, message: `${field}: ${why}` });

function parseRequirement(
  raw: LabelSelectorRequirement,
  field: string,
): Result<Requirement, LabelSelectorError> {
  const { key, operator } = raw;
  const values = raw.values ?? [];
  if (!isLabelKey(key)) return fail("BAD_KEY", `${field}.key`, key, `invalid label key "${key}"`);
  if (!isOperator(operator)) {
    const known = SELECTOR_OPERATORS.join(", ");
    return fail(
      "BAD_OPERATOR",
      `${field}.operator`,
      operator,
      `"${operator}" is not one of ${known}`,
    );
  }
  const needsValues = operator === "In" || operator === "NotIn";
  if (needsValues !== values.length > 0) {
    const why = needsValues ? "must be non-empty" : "must be empty";
    return fail("BAD_VALUES", `${field}.values`, values.join(","), `${why} for ${operator}`);
  }
  const bad = values.find((v) => !isLabelValue(v));
  if (bad !== undefined) {
    return fail("BAD_VALUE", `${field}.values`, bad, `invalid label value "${bad}"`);
  }
  return ok({ key, operator, values: new Set(values) });
}

function parseMatchLabels(labels: Labels): Result<Requirement[], LabelSelectorError> {
  const out: Requirement[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const field = `matchLabels.${key}`;
    if (!isLabelKey(key)) return fail("BAD_KEY", field, key, `invalid label key "${key}"`);
    if (!isLabelValue(value)) return fail("BAD_VALUE", field, value, `invalid label value`);
    out.push({ key, operator: "In", values: new Set([value]) });
  }
  return ok(out);
}

/** Validates a selector; the error names the offending field and value. */
export function parseLabelSelector(raw: LabelSelector): Result<Selector, LabelSelectorError> {
  const fromLabels = parseMatchLabels(raw.matchLabels ?? {});
  if (!fromLabels.ok) return fromLabels;
  const requirements = fromLabels.value;
  for (const [i, expr] of (raw.matchExpressions ?? []).entries()) {
    const parsed = parseRequirement(expr, `matchExpressions[${i}]`);
    if (!parsed.ok) return parsed;
    requirements.push(parsed.value);
  }
  return ok({ requirements });
}

function requirementMatches(req: Requirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case "In":
      return has && value !== undefined && req.values.has(value);
    case "NotIn":
      return !has || value === undefined || !req.values.has(value);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

export const selectorMatches = (selector: Selector, labels: Labels): boolean =>
  selector.requirements.every((req) => requirementMatches(req, labels));
