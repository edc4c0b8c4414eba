/** Sign in: the admin API key is exchanged for a short-lived admin JWT kept in memory; the key itself is not kept. */
import { run, session } from "../api.js";
import { announce, field, h, showView } from "../dom.js";

export function signInView(onSignedIn: (subject: string) => void): void {
  const key = h("input", { type: "password", name: "api-key", autocomplete: "off", required: true, spellcheck: "false" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      "aria-labelledby": "signin-title",
      "on:submit": (event: Event) => {
        event.preventDefault();
        const value = key.value;
        key.value = "";
        submit.disabled = true;
        void run("sign in", () => session.signIn(value)).then((res) => {
          submit.disabled = false;
          if (res === undefined) {
            key.focus();
            return;
          }
          announce(`Signed in as ${res.subject}`);
          onSignedIn(res.subject);
        });
      },
    },
    field("Admin API key", key, "Exchanged for an admin token that lives in this tab's memory only (10 minutes by default)."),
    submit,
  );
  showView(h("h1", { id: "signin-title" }, "Sign in"), form);
  key.focus();
}
