import { pageRequestOf, pageResponse } from './paging';

describe('pageRequestOf', () => {
  it('passes the page size on as a number and drops an empty continuation token', () => {
    expect(pageRequestOf({ headers: {} })).toEqual({});
    expect(pageRequestOf({ headers: { 'x-ms-max-item-count': '5', 'x-ms-continuation': '' } })).toEqual({
      maxItemCount: 5,
    });
    expect(pageRequestOf({ headers: { 'x-ms-continuation': 'abc' } })).toEqual({ continuationToken: 'abc' });
  });
});

describe('pageResponse', () => {
  it('sets x-ms-continuation only when more pages follow', () => {
    expect(pageResponse({ items: [] }, 'JSON').headers).toEqual({ 'x-ms-item-type': 'JSON' });
    expect(pageResponse({ items: [], continuationToken: 't' }, 'JSON').headers).toMatchObject({
      'x-ms-continuation': 't',
    });
  });
});
