import type { pageResults } from '../../query';
import { header, type RestRequest, type RestResponse } from './context';

/** What a paged route asks `pageResults` for. */
export interface PageRequest {
  maxItemCount?: number;
  continuationToken?: string;
}

/**
 * The paging a request asks for. `x-ms-max-item-count` goes on as a number whatever it says: the one
 * page-size rule (query/paging.ts) decides what to make of it. An empty continuation token is none.
 */
export function pageRequestOf(request: Pick<RestRequest, 'headers'>): PageRequest {
  const maxItemCount = header(request, 'x-ms-max-item-count');
  const continuationToken = header(request, 'x-ms-continuation');
  return {
    ...(maxItemCount === undefined ? {} : { maxItemCount: Number(maxItemCount) }),
    ...(continuationToken ? { continuationToken } : {}),
  };
}

/**
 * 200 with one page of items of `itemType` (`x-ms-item-type`). `x-ms-continuation` is set only when more
 * pages follow: azure-iothub takes its mere presence as "more results".
 */
export function pageResponse(page: ReturnType<typeof pageResults>, itemType: string): RestResponse {
  return {
    status: 200,
    body: page.items,
    headers: {
      'x-ms-item-type': itemType,
      ...(page.continuationToken ? { 'x-ms-continuation': page.continuationToken } : {}),
    },
  };
}
