import { z } from 'zod';

export const maxRequestBodyChars = 256 * 1024;
const maxHeaders = 32;
const maxHeaderValueChars = 4096;

/** Set by the connection or from the URL and body: a caller's value would contradict what is sent, or smuggle a second request. */
const headersNotSettable: ReadonlyMap<string, string> = new Map([
  ...['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'].map(
    (name) => [name, 'a hop-by-hop header, set by the connection itself'] as const,
  ),
  ...['proxy-authenticate', 'proxy-authorization'].map((name) => [name, 'a hop-by-hop header: no proxy is used'] as const),
  ['host', 'set from the URL'],
  ['content-length', 'set from the body'],
]);

/** An absolute http(s) URL without credentials in it: they would be logged and recorded with the call. */
const HttpUrl = z
  .string()
  .max(8192)
  .transform((text, context) => {
    const refuse = (message: string) => {
      context.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    const url = URL.parse(text);
    if (url === null) return refuse('not an absolute URL');
    const problem = problemWithUrl(url);
    return problem === undefined ? url : refuse(problem);
  });

function problemWithUrl(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https URLs are fetched, not ${url.protocol}`;
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password: send credentials in a header';
  return undefined;
}

const HeaderName = z
  .string()
  .max(64)
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'not a header name');
// No CR or LF (a second header or request smuggled in), nor another control character.
// eslint-disable-next-line no-control-regex
const HeaderValue = z.string().max(maxHeaderValueChars).regex(/^[^\x00-\x08\x0a-\x1f\x7f]*$/, 'must not contain control characters');

const RequestHeaders = z.record(HeaderName, HeaderValue).superRefine((headers, context) => {
  const names = Object.keys(headers);
  if (names.length > maxHeaders) context.addIssue({ code: 'custom', message: `at most ${maxHeaders} headers` });
  for (const name of names) {
    const reason = headersNotSettable.get(name.toLowerCase());
    if (reason !== undefined) context.addIssue({ code: 'custom', path: [name], message: `cannot be set: ${reason}` });
  }
});

export const HttpFetchInput = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: HttpUrl.describe('An absolute http or https URL, like "https://api.example.com/items?limit=5"'),
    headers: RequestHeaders.optional().describe(`Request headers, at most ${maxHeaders}; not Host, Content-Length or hop-by-hop ones`),
    body: z.string().max(maxRequestBodyChars).optional().describe('The request body, as text (POST, PUT, PATCH, DELETE)'),
  })
  .superRefine(({ method, body }, context) => {
    if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
      context.addIssue({ code: 'custom', path: ['body'], message: `a ${method} request carries no body` });
    }
  });
export type HttpFetchInput = z.infer<typeof HttpFetchInput>;
