/** The agent forms: register from a pasted public JWK and possession proof, rotate the key, update capabilities. */
import type { CapabilityManifest } from "../../../src/client/web/index.js";
import { field, h } from "../dom.js";

/** The capability fields of a form, and how to read them into a manifest. */
export interface CapabilityFields {
  readonly elements: HTMLElement[];
  read(): { scopes: string[]; operations: string[]; amountLimits: { currency: string; maxAmountMinor: bigint }[] } | string;
}

function list(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Scopes, operations and amount limits ("EUR:10000 USD:500", integer minor units), pre-filled from `current`. */
export function capabilityFields(current?: CapabilityManifest): CapabilityFields {
  const scopes = h("input", { type: "text", name: "scopes", value: current?.scopes.join(" ") ?? "" });
  const operations = h("input", { type: "text", name: "operations", value: current?.operations.join(" ") ?? "" });
  const limits = h("input", {
    type: "text",
    name: "amount-limits",
    value: current?.amountLimits.map((l) => `${l.currency}:${l.maxAmountMinor}`).join(" ") ?? "",
  });
  return {
    elements: [
      field("Scopes", scopes, "Separated by spaces or commas, e.g. payments:write payments:read"),
      field("Operations", operations, "e.g. payment.create payment.refund"),
      field("Amount limits", limits, "CURRENCY:max in minor units, e.g. EUR:10000 (100.00 EUR)"),
    ],
    read() {
      const amountLimits: { currency: string; maxAmountMinor: bigint }[] = [];
      for (const item of list(limits.value)) {
        const m = /^([A-Z]{3}):(\d{1,18})$/.exec(item);
        if (m === null) return `amount limit "${item}" must look like EUR:10000`;
        amountLimits.push({ currency: m[1]!, maxAmountMinor: BigInt(m[2]!) });
      }
      return { scopes: list(scopes.value), operations: list(operations.value), amountLimits };
    },
  };
}

/** A multi-line field for a pasted JWK or compact JWS. */
export function pasteArea(name: string, rows = 4): HTMLTextAreaElement {
  return h("textarea", { name, rows, spellcheck: "false", autocomplete: "off", required: true });
}

/** A form that submits with preventDefault and reports a local validation problem through `invalid`. */
export function actionForm(titleId: string, title: string, onSubmit: () => void, ...children: (HTMLElement | undefined)[]): HTMLFormElement {
  return h(
    "form",
    {
      "aria-labelledby": titleId,
      "on:submit": (event: Event) => {
        event.preventDefault();
        onSubmit();
      },
    },
    h("h2", { id: titleId }, title),
    ...children,
  );
}
