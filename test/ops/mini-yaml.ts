/**
 * A tiny YAML reader for the subset infra/docker-compose.yml uses: block maps, block lists of scalars, plain,
 * single- and double-quoted scalars, JSON-style flow sequences, comments. Anything else throws (so a change
 * to the compose file that leaves the subset makes the consistency test fail loudly instead of misreading).
 */

export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

/** Removes a comment: "#" at the start or after whitespace, outside quotes. */
function stripComment(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote !== undefined) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(raw[i - 1]!))) {
      return raw.slice(0, i);
    }
  }
  return raw;
}

function scalar(text: string, no: number): YamlValue {
  const t = text.trim();
  if (t.startsWith('"') || t.startsWith("[")) {
    try {
      return JSON.parse(t) as YamlValue;
    } catch {
      throw new Error(`line ${no}: unsupported quoted or flow value: ${t}`);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new Error(`line ${no}: unterminated single-quoted value`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[|>{&*!]/.test(t)) throw new Error(`line ${no}: unsupported YAML construct: ${t}`);
  return t;
}

/** Splits "key: value" at the first ": " (or a trailing ":") outside quotes. */
function splitKey(text: string, no: number): { key: string; rest: string } {
  const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(text);
  if (m === null) throw new Error(`line ${no}: expected "key: value", got: ${text}`);
  return { key: m[1]!, rest: m[2] ?? "" };
}

function parseBlock(lines: readonly Line[], start: number, indent: number): { value: YamlValue; next: number } {
  const first = lines[start];
  if (first === undefined || first.indent < indent) return { value: "", next: start };
  if (first.text.startsWith("- ") || first.text === "-") {
    const list: YamlValue[] = [];
    let i = start;
    while (i < lines.length && lines[i]!.indent === first.indent && lines[i]!.text.startsWith("- ")) {
      const item = lines[i]!.text.slice(2);
      if (/^[A-Za-z0-9_.-]+:(\s|$)/.test(item)) throw new Error(`line ${lines[i]!.no}: lists of maps are not supported`);
      list.push(scalar(item, lines[i]!.no));
      i++;
    }
    return { value: list, next: i };
  }
  const map: { [key: string]: YamlValue } = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === first.indent) {
    const line = lines[i]!;
    if (line.text.startsWith("- ")) throw new Error(`line ${line.no}: list item where a key was expected`);
    const { key, rest } = splitKey(line.text, line.no);
    if (key in map) throw new Error(`line ${line.no}: duplicate key ${key}`);
    i++;
    if (rest !== "") {
      map[key] = scalar(rest, line.no);
    } else if (i < lines.length && lines[i]!.indent > line.indent) {
      const child = parseBlock(lines, i, lines[i]!.indent);
      map[key] = child.value;
      i = child.next;
    } else if (i < lines.length && lines[i]!.indent === line.indent && lines[i]!.text.startsWith("- ")) {
      const child = parseBlock(lines, i, line.indent);
      map[key] = child.value;
      i = child.next;
    } else {
      map[key] = {};
    }
  }
  if (i < lines.length && lines[i]!.indent > first.indent) throw new Error(`line ${lines[i]!.no}: unexpected indentation`);
  return { value: map, next: i };
}

/** Parses the supported subset; throws naming the line of anything outside it. */
export function parseMiniYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.includes("\t")) throw new Error(`line ${index + 1}: tabs are not allowed in YAML indentation`);
    const stripped = stripComment(raw).replace(/\s+$/, "");
    if (stripped.trim() === "") return;
    const indent = stripped.length - stripped.trimStart().length;
    lines.push({ no: index + 1, indent, text: stripped.trimStart() });
  });
  if (lines.length === 0) return {};
  const { value, next } = parseBlock(lines, 0, 0);
  if (next !== lines.length) throw new Error(`line ${lines[next]!.no}: unexpected content`);
  return value;
}

/** Narrowing helpers for tests. */
export function asMap(v: YamlValue | undefined, what: string): { [key: string]: YamlValue } {
  if (v === undefined || typeof v === "string" || Array.isArray(v)) throw new Error(`${what} must be a map`);
  return v;
}

export function asList(v: YamlValue | undefined, what: string): YamlValue[] {
  if (!Array.isArray(v)) throw new Error(`${what} must be a list`);
  return v;
}

export function asString(v: YamlValue | undefined, what: string): string {
  if (typeof v !== "string") throw new Error(`${what} must be a string`);
  return v;
}
