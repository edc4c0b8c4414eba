/**
 * A small PromQL reader for the consistency test: finds every series selector of an expression (metric name and
 * label matchers) and every grouping label (by, without, on, ignoring, group_left, group_right). It does not
 * evaluate anything; an expression it cannot tokenise throws, naming the expression.
 */

export interface LabelMatcher {
  readonly label: string;
  /** "=", "!=", "=~", "!~", or "" for a bare label name (the docs' `metric{label,label}` notation). */
  readonly op: string;
  readonly value: string;
}

export interface Selector {
  /** The metric name, or undefined for a selector such as {__name__="..."}. */
  readonly metric: string | undefined;
  readonly matchers: readonly LabelMatcher[];
}

export interface PromqlUses {
  readonly selectors: readonly Selector[];
  readonly groupingLabels: readonly string[];
}

type TokenKind = "ident" | "string" | "number" | "punct" | "var";
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"]);
const AGGREGATIONS = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const PUNCT = ["=~", "!~", "!=", "==", ">=", "<=", "(", ")", "{", "}", "[", "]", ",", "=", ">", "<", "+", "-", "*", "/", "%", "^", ":", "@"];

/** A Go/Grafana template in a string (`{{ $labels.x }}`) is replaced by this placeholder before reading. */
export const TEMPLATE_PLACEHOLDER = "template_value";

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`cannot read PromQL (${why} at ${i}): ${expr}`);
  };
  while (i < expr.length) {
    const rest = expr.slice(i);
    const space = /^\s+/.exec(rest);
    if (space !== null) {
      i += space[0].length;
      continue;
    }
    const quote = rest[0]!;
    if (quote === '"' || quote === "'" || quote === "`") {
      let j = 1;
      let text = "";
      while (j < rest.length && rest[j] !== quote) {
        if (rest[j] === "\\" && quote !== "`") j++;
        text += rest[j] ?? "";
        j++;
      }
      if (j >= rest.length) fail("unterminated string");
      tokens.push({ kind: "string", text });
      i += j + 1;
      continue;
    }
    const match =
      /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.exec(rest) ?? /^[0-9][0-9A-Za-z.+]*/.exec(rest) ?? /^[A-Za-z_][A-Za-z0-9_:]*/.exec(rest);
    if (match !== null) {
      const text = match[0];
      const kind: TokenKind = text.startsWith("$") ? "var" : /^[0-9]/.test(text) ? "number" : "ident";
      tokens.push({ kind, text });
      i += text.length;
      continue;
    }
    const punct = PUNCT.find((p) => rest.startsWith(p));
    if (punct === undefined) fail(`unexpected character ${JSON.stringify(rest[0])}`);
    tokens.push({ kind: "punct", text: punct! });
    i += punct!.length;
  }
  return tokens;
}

/** Reads `{ label op "value", ... }` starting at the "{" token; returns the matchers and the index after "}". */
function readMatchers(tokens: readonly Token[], open: number, expr: string): { matchers: LabelMatcher[]; next: number } {
  const matchers: LabelMatcher[] = [];
  let i = open + 1;
  while (i < tokens.length && tokens[i]!.text !== "}") {
    const label = tokens[i]!;
    if (label.kind !== "ident") throw new Error(`expected a label name in ${expr}, got ${label.text}`);
    const op = tokens[i + 1];
    if (op?.text === "," || op?.text === "}") {
      matchers.push({ label: label.text, op: "", value: "" });
      i += op.text === "," ? 2 : 1;
      continue;
    }
    const value = tokens[i + 2];
    if (op === undefined || !["=", "!=", "=~", "!~"].includes(op.text) || value?.kind !== "string") {
      throw new Error(`expected label="value" in ${expr} after ${label.text}`);
    }
    matchers.push({ label: label.text, op: op.text, value: value.text });
    i += 3;
    if (tokens[i]?.text === ",") i++;
  }
  if (i >= tokens.length) throw new Error(`unclosed "{" in ${expr}`);
  return { matchers, next: i + 1 };
}

/** Every selector and grouping label of one PromQL expression (or of a doc's `metric{label,...}` notation). */
export function readPromql(expr: string): PromqlUses {
  const tokens = tokenize(expr.replace(/\{\{.*?\}\}/g, TEMPLATE_PLACEHOLDER));
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === "ident" && GROUPING.has(t.text) && next?.text === "(") {
      let j = i + 2;
      for (; j < tokens.length && tokens[j]!.text !== ")"; j++) if (tokens[j]!.kind === "ident") groupingLabels.push(tokens[j]!.text);
      i = j + 1;
    } else if (t.kind === "ident" && (next?.text === "(" || KEYWORDS.has(t.text.toLowerCase()) || AGGREGATIONS.has(t.text))) {
      i++;
    } else if (t.kind === "ident" || (t.kind === "punct" && t.text === "{")) {
      const metric = t.kind === "ident" ? t.text : undefined;
      const open = t.kind === "ident" ? i + 1 : i;
      if (tokens[open]?.text === "{") {
        const { matchers, next: after } = readMatchers(tokens, open, expr);
        selectors.push({ metric, matchers });
        i = after;
      } else {
        selectors.push({ metric, matchers: [] });
        i++;
      }
    } else {
      i++;
    }
  }
  return { selectors, groupingLabels };
}

/** Metric mentions in free text (alert descriptions, prose): `name` or `name{...}` for names matching `metricName`. */
export function selectorMentions(text: string, metricName: RegExp): string[] {
  const plain = text.replace(/\{\{.*?\}\}/g, TEMPLATE_PLACEHOLDER);
  const source = `(?<![A-Za-z0-9_])(${metricName.source})(\\{[^{}]*\\})?`;
  return [...plain.matchAll(new RegExp(source, "g"))].map((m) => m[0]);
}
