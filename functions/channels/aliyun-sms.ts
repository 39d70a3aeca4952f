/**
 * SMS through Alibaba Cloud SMS (阿里云短信服务, dysmsapi, API version 2017-05-25), action SendSms, with the
 * documented RPC signature (SignatureVersion 1.0, HMAC-SHA1):
 *
 * 1. every parameter but Signature, sorted by name, each name and value percent-encoded (RFC 3986: unreserved
 *    characters kept, space as %20, `*` as %2A, `~` kept), joined as `name=value` with `&`;
 * 2. StringToSign = `POST&%2F&` + percentEncode(that string);
 * 3. Signature = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).
 *
 * Parameters: the common ones (AccessKeyId, Action, Format, RegionId, SignatureMethod, SignatureNonce,
 * SignatureVersion, Timestamp in UTC `YYYY-MM-DDThh:mm:ssZ`, Version) and PhoneNumbers, SignName,
 * TemplateCode and TemplateParam (JSON of the template's variables). The answer is JSON with `Code` "OK".
 */
import { createHmac, randomUUID } from 'node:crypto';
import { DeliveryError } from './robots.js';

export const ALIYUN_SMS_URL = 'https://dysmsapi.aliyuncs.com/';
const TIMEOUT_MS = 10_000;

export interface AliyunCredentials { accessKeyId: string; accessKeySecret: string; url?: string }
export interface SmsRequest { phone: string; signName: string; templateCode: string; params: Record<string, string> }

export const percentEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params).sort().map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`).join('&');
}

export function aliyunSignature(method: 'GET' | 'POST', params: Record<string, string>, accessKeySecret: string): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
}

/** The signed form of one SendSms call. */
export function sendSmsParams(creds: AliyunCredentials, req: SmsRequest, at: Date, nonce: string): Record<string, string> {
  const params: Record<string, string> = {
    AccessKeyId: creds.accessKeyId,
    Action: 'SendSms',
    Format: 'JSON',
    RegionId: 'cn-hangzhou',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: nonce,
    SignatureVersion: '1.0',
    Timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: '2017-05-25',
    PhoneNumbers: req.phone,
    SignName: req.signName,
    TemplateCode: req.templateCode,
    TemplateParam: JSON.stringify(req.params),
  };
  return { ...params, Signature: aliyunSignature('POST', params, creds.accessKeySecret) };
}

export async function sendAliyunSms(creds: AliyunCredentials, req: SmsRequest, at: Date): Promise<void> {
  const body = canonicalQuery(sendSmsParams(creds, req, at, randomUUID()));
  let res: Response;
  try {
    res = await fetch(creds.url ?? ALIYUN_SMS_URL, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new DeliveryError(`Aliyun SMS unreachable (${(error as Error).name})`, true);
  }
  const text = await res.text().catch(() => '');
  let answer: { Code?: unknown; Message?: unknown } = {};
  try { answer = JSON.parse(text) as typeof answer; } catch { /* judged below */ }
  if (!res.ok || answer.Code !== 'OK') {
    // Throttling codes pass; a wrong signature, sign name or template does not.
    const retryable = res.status >= 500 || String(answer.Code).startsWith('isv.BUSINESS_LIMIT_CONTROL') || answer.Code === 'Throttling.User';
    throw new DeliveryError(`Aliyun SMS refused the message (HTTP ${res.status}, ${String(answer.Code)}: ${String(answer.Message ?? '')})`, retryable);
  }
}
