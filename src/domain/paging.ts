/** Paging shared by every list: the request (size, opaque token) and a page of results. */

/** Page request: pageSize <= 0 means the default (50); larger than 500 is clamped to 500. */
export interface PageRequest {
  readonly pageSize?: number;
  /** The opaque token of a previous page; a malformed token is invalid_argument "pagination.invalid_token". */
  readonly pageToken?: string;
}

/** A page of results and the opaque token of the next page (undefined on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string | undefined;
}
