/**
 * The chart of an agent's recent trust events, hand-drawn SVG (no chart library earns its weight for one chart, and
 * SVG presentation attributes pass the strict CSP): each telemetry report is a marker (success, failure, dispute)
 * and the line is the running success rate. A table carries the same data for screen readers.
 */
import { h, svg } from "../dom.js";

export interface TrustPoint {
  readonly timeMs: number;
  readonly success: boolean;
  readonly dispute: boolean;
  readonly slaMet: boolean;
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

function markerFor(p: TrustPoint, x: number, y: number): SVGElement {
  if (p.dispute) {
    const d = `M${x} ${y - 6} L${x + 6} ${y} L${x} ${y + 6} L${x - 6} ${y} Z`;
    return svg("path", { d, class: "pt-dispute" }, svg("title", {}, `dispute at ${new Date(p.timeMs).toISOString()}`));
  }
  return svg(
    "circle",
    { cx: x, cy: y, r: 4.5, class: p.success ? "pt-success" : "pt-failure" },
    svg("title", {}, `${p.success ? "success" : "failure"} at ${new Date(p.timeMs).toISOString()}`),
  );
}

function legend(): HTMLElement {
  return h(
    "ul",
    { class: "legend" },
    h("li", { class: "lg-success" }, "success"),
    h("li", { class: "lg-failure" }, "failure"),
    h("li", { class: "lg-dispute" }, "dispute"),
    h("li", { class: "lg-rate" }, "running success rate"),
  );
}

/** The same reports as a table (inside a disclosure), for screen readers and exact reading. */
function dataTable(sorted: readonly TrustPoint[]): HTMLElement {
  const yes = (b: boolean): string => (b ? "yes" : "no");
  return h(
    "details",
    {},
    h("summary", {}, "Trust events as a table"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...["Time (UTC)", "Success", "SLA met", "Dispute"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...sorted.map((p) => h("tr", {}, h("td", {}, new Date(p.timeMs).toISOString()), h("td", {}, yes(p.success)), h("td", {}, yes(p.slaMet)), h("td", {}, yes(p.dispute))))),
    ),
  );
}

/** The chart (oldest report on the left), or a sentence when there is nothing to draw. */
export function trustChart(points: readonly TrustPoint[]): HTMLElement {
  if (points.length === 0) return h("p", { class: "empty" }, "No trust events reported yet.");
  const sorted = [...points].sort((a, b) => a.timeMs - b.timeMs);
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const xOf = (i: number): number => PAD.left + (sorted.length === 1 ? innerW / 2 : (i * innerW) / (sorted.length - 1));
  const yOf = (rate: number): number => PAD.top + (1 - rate) * innerH;
  let successes = 0;
  const rates = sorted.map((p, i) => {
    if (p.success && !p.dispute) successes++;
    return successes / (i + 1);
  });
  const line = rates.map((r, i) => `${i === 0 ? "M" : "L"}${xOf(i).toFixed(1)} ${yOf(r).toFixed(1)}`).join(" ");
  const grid = [0, 0.5, 1].map((v) =>
    svg(
      "g",
      {},
      svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: yOf(v), y2: yOf(v), class: "grid" }),
      svg("text", { x: PAD.left - 6, y: yOf(v) + 4, "text-anchor": "end", class: "axis" }, `${v * 100}%`),
    ),
  );
  const first = new Date(sorted[0]!.timeMs).toISOString().slice(0, 16).replace("T", " ");
  const last = new Date(sorted[sorted.length - 1]!.timeMs).toISOString().slice(0, 16).replace("T", " ");
  const failures = sorted.filter((p) => !p.success).length;
  const disputes = sorted.filter((p) => p.dispute).length;
  const summary = `${sorted.length} reports from ${first} to ${last} UTC: ${sorted.length - failures} successes, ${failures} failures, ${disputes} disputes; running success rate ends at ${(rates[rates.length - 1]! * 100).toFixed(0)}%.`;
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": "trust-chart-title trust-chart-desc", class: "chart" },
    svg("title", { id: "trust-chart-title" }, "Recent trust events"),
    svg("desc", { id: "trust-chart-desc" }, summary),
    ...grid,
    svg("path", { d: line, class: "rate" }),
    ...sorted.map((p, i) => markerFor(p, xOf(i), yOf(rates[i]!))),
    svg("text", { x: PAD.left, y: HEIGHT - 8, class: "axis" }, first),
    svg("text", { x: WIDTH - PAD.right, y: HEIGHT - 8, "text-anchor": "end", class: "axis" }, last),
  );
  return h("figure", { class: "trust-chart" }, chart, h("figcaption", {}, summary), legend(), dataTable(sorted));
}
