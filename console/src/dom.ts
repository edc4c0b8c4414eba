/** A tiny DOM builder (no innerHTML anywhere, so no markup injection) and the page's shared regions. */

export type Child = Node | string | number | null | undefined | false;
type Attrs = Readonly<Record<string, string | boolean | number | EventListener | undefined>>;

function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith("on:")) el.addEventListener(name.slice(3), value as EventListener);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

/** An HTML element with attributes ("on:event" adds a listener) and text or element children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element (presentation attributes only: the CSP allows no inline style). */
export function svg(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing`);
  return el as T;
}

/** Replaces the main region's content and moves focus to its heading (screen readers announce the new view). */
export function showView(...children: Child[]): void {
  const main = byId("main");
  main.replaceChildren();
  append(main, children);
  const heading = main.querySelector("h1");
  if (heading !== null) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

/** A polite status message (aria-live). */
export function announce(message: string): void {
  byId("status").textContent = message;
}

/** The alert region: an error the operator must read; empty hides it. */
export function showAlert(...children: Child[]): void {
  const alert = byId("alert");
  alert.replaceChildren();
  append(alert, children);
  alert.hidden = children.length === 0;
}

/** A labelled form field; `hint` is tied to the control with aria-describedby. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  control.id = id;
  const hintEl = hint === undefined ? undefined : h("small", { id: `${id}-hint`, class: "hint" }, hint);
  if (hintEl !== undefined) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/** A <time> element for epoch milliseconds (UTC, ISO 8601). */
export function timeEl(ms: number | undefined): HTMLElement | string {
  if (ms === undefined || ms === 0) return "—";
  const iso = new Date(ms).toISOString();
  return h("time", { datetime: iso }, iso.replace("T", " ").replace(/\.\d+Z$/, "Z"));
}
