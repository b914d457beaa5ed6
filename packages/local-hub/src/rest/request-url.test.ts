import { HubError } from '../errors';
import { requestUrl } from './request-url';

describe('requestUrl', () => {
  it('keeps the path and query of an origin-form target', () => {
    const url = requestUrl('/twins/a%2Fb?api-version=2021-04-12');
    expect([url.pathname, url.searchParams.get('api-version')]).toEqual(['/twins/a%2Fb', '2021-04-12']);
  });

  it('never lets a leading "//" pick another host or path', () => {
    expect(requestUrl('//evil/devices').pathname).toBe('//evil/devices');
    expect(requestUrl('//[').pathname).toBe('//[');
  });

  it.each([undefined, '*', 'http://[::1', 'devices'])('refuses %j with 400', (target) => {
    expect(() => requestUrl(target)).toThrow(HubError);
    expect(() => requestUrl(target)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
