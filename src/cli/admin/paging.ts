/** List paging for the admin CLI: one page (--page-size, --page-token) or every page (--all). */
import type { Args, OptionSpecs } from "./args.js";
import type { Io, OutputMode } from "./output.js";

export const PAGING_OPTIONS: OptionSpecs = {
  "page-size": { type: "string" },
  "page-token": { type: "string" },
  all: { type: "boolean" },
};

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

/** The server caps pages at 500. */
const MAX_PAGE_SIZE = 500;

/** Fetches one page, or with --all every page from --page-token on (500 a page unless --page-size says less). */
export async function fetchPages<T>(args: Args, fetch: (pageSize: number, pageToken: string) => Promise<Page<T>>): Promise<Page<T>> {
  const all = args.flag("all");
  const pageSize = args.integer("page-size", 1, MAX_PAGE_SIZE) ?? (all ? MAX_PAGE_SIZE : 50);
  let token = args.string("page-token") ?? "";
  const items: T[] = [];
  for (;;) {
    const page = await fetch(pageSize, token);
    items.push(...page.items);
    token = page.nextPageToken;
    if (!all || token === "") return { items, nextPageToken: token };
  }
}

/** Tells a person (not a script) how to get the next page. */
export function nextPageHint(io: Io, mode: OutputMode, nextPageToken: string): void {
  if (mode === "table" && nextPageToken !== "") io.err(`more results: add --page-token ${nextPageToken} (or --all)`);
}
