/** The organisation record as the domain sees it (storage adapters map rows to it). */

export type OrgTier = "unverified" | "verified" | "enterprise";

export interface Org {
  readonly id: string;
  readonly name: string;
  readonly tier: OrgTier;
  readonly createdAtMs: number;
}
