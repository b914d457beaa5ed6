import type { ClientRequest } from 'node:http';
import type { Agent } from 'node:https';
import type { X509 } from 'azure-iothub/dist/common-core/authorization';
import { Http, type HttpCallback, type HttpRequestOptions } from 'azure-iothub/dist/common-http/http';
import type { ServiceEndpoint } from './connection-string';

type Headers = { [key: string]: string | string[] | number };

/**
 * The SDK's own HTTP request builder, pinned to one endpoint and trust store.
 *
 * azure-iothub always dials port 443 of the hub's HostName, and Registry/Client/JobClient replace the
 * transport options with their keep-alive agent (dropping any `ca`). Overriding the two public hooks
 * the RestApiClient calls keeps both facts true regardless of what the SDK sets.
 */
export class GatewayHttp extends Http {
  private readonly agents = new Set<Agent>();

  constructor(
    private readonly endpoint: ServiceEndpoint,
    private readonly ca: string | Buffer | undefined,
  ) {
    super();
  }

  override setOptions(options: unknown): void {
    const base = (options ?? {}) as { http?: { agent?: Agent } };
    if (base.http?.agent) this.agents.add(base.http.agent);
    super.setOptions(this.ca === undefined ? base : { ...base, ca: this.ca });
  }

  override buildRequest(
    method: Parameters<Http['buildRequest']>[0],
    path: string,
    httpHeaders: Headers,
    _host: string | { socketPath: string },
    options: X509 | HttpRequestOptions | HttpCallback,
    done?: HttpCallback,
  ): ClientRequest {
    const callback = typeof options === 'function' ? options : done;
    if (callback === undefined) throw new ReferenceError('buildRequest needs a callback');
    if (typeof options === 'object' && this.isX509Options(options)) {
      // X.509 service auth is not something IoT Hub offers; refuse rather than silently drop the cert.
      throw new Error('X.509 options are not supported by the gateway transport');
    }
    const requestOptions: HttpRequestOptions =
      typeof options === 'object' ? { ...(options as HttpRequestOptions) } : {};
    requestOptions.port = this.endpoint.port;
    return super.buildRequest(method, path, httpHeaders, this.endpoint.host, requestOptions, callback);
  }

  /** Closes the sockets the SDK's keep-alive agents hold, so a process (or a test) can exit. */
  destroy(): void {
    for (const agent of this.agents) agent.destroy();
    this.agents.clear();
  }
}
