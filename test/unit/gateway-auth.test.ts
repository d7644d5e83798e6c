/** Pure rules of the gateway's access control, webhook signatures and visibility queries. */
import { authorize, createAuthenticator, hashApiKey, loadApiKeys, loadWebhookSources, rolesFor, signWebhook, verifyWebhook } from '../../libs/auth';
import { listQuery, quoteLiteral } from '../../services/gateway/contracts';

const keys = [
  { name: 'ops', keyHash: hashApiKey('secret-ops'), role: 'finance' as const },
  { name: 'acme-approver', keyHash: hashApiKey('secret-acme'), role: 'approver' as const, customerId: 'cust-acme' },
];

describe('API keys', () => {
  it('stores only the sha256 of a key and finds the caller by it, with its role and scope', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const auth = createAuthenticator(keys);
    expect(auth.authenticate({ authorization: 'Bearer secret-acme' })).toEqual({ name: 'acme-approver', role: 'approver', customerId: 'cust-acme' });
    expect(auth.authenticate({ 'x-api-key': 'secret-ops' })).toEqual({ name: 'ops', role: 'finance' });
  });

  it('refuses a missing or unknown key with unauthorized', () => {
    const auth = createAuthenticator(keys);
    expect(() => auth.authenticate({})).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    expect(() => auth.authenticate({ authorization: 'Bearer nope' })).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    expect(() => auth.authenticate({ authorization: 'Basic c2VjcmV0LW9wcw==' })).toThrow(expect.objectContaining({ code: 'unauthorized' }));
  });

  it('runs open (every caller admin) when no keys are configured', () => {
    const auth = createAuthenticator([]);
    expect(auth.open).toBe(true);
    expect(auth.authenticate({}).role).toBe('admin');
  });

  it('maps roles to permissions as DESIGN §9 says', () => {
    expect(rolesFor('deliver')).toEqual(['delivery', 'admin']);
    expect(rolesFor('approve')).toEqual(['approver', 'admin']);
    expect(rolesFor('manage')).toEqual(['finance', 'admin']);
    expect(rolesFor('read')).toEqual(['delivery', 'approver', 'finance', 'support', 'admin']);
    expect(() => authorize({ name: 's', role: 'support' }, 'manage', 'place holds')).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it('reads keys from JSON, naming a bad entry', () => {
    expect(loadApiKeys({ TOLLGATE_API_KEYS: JSON.stringify(keys) })).toHaveLength(2);
    expect(() => loadApiKeys({ TOLLGATE_API_KEYS: '[{"name":"x","keyHash":"short","role":"finance"}]' })).toThrow(/0\.keyHash/);
    expect(() => loadApiKeys({ TOLLGATE_API_KEYS: '[{"name":"x","keyHash":"' + hashApiKey('k') + '","role":"boss"}]' })).toThrow(/0\.role/);
  });
});

describe('webhook signatures', () => {
  const sources = loadWebhookSources({ TOLLGATE_WEBHOOK_SECRETS: JSON.stringify({ jira: 'whsec-0123456789abcdef' }) });
  const body = Buffer.from('{"eventId":"e1"}');
  const now = 1_800_000_000_000;
  const check = (signature: string, timestamp: number) => () => verifyWebhook({
    source: sources.get('jira'), timestamp: String(timestamp), signature, rawBody: body, toleranceSeconds: 300, nowMs: now,
  });

  it('accepts HMAC-SHA256 over timestamp.body within the window', () => {
    const ts = now / 1000 - 299;
    expect(check(signWebhook('whsec-0123456789abcdef', ts, body), ts)).not.toThrow();
    expect(check(`sha256=${signWebhook('whsec-0123456789abcdef', ts, body)}`, ts)).not.toThrow();
  });

  it('refuses a bad signature, a timestamp outside 300 s, and a signature of another timestamp', () => {
    const ts = now / 1000;
    expect(check(signWebhook('whsec-another-secret-000', ts, body), ts)).toThrow(/does not match/);
    expect(check(signWebhook('whsec-0123456789abcdef', ts - 301, body), ts - 301)).toThrow(/300 s window/);
    expect(check(signWebhook('whsec-0123456789abcdef', ts - 1, body), ts)).toThrow(/does not match/);
  });
});

describe('visibility queries', () => {
  it('quotes values, escaping quotes and backslashes', () => {
    expect(quoteLiteral("a'b\\c")).toBe("'a\\'b\\\\c'");
  });

  it('limits a listing to current runs of contract workflows on the task queue', () => {
    expect(listQuery('tq', { customer: "x' OR 'a'='a", currency: 'USD' })).toBe(
      "WorkflowType = 'contractWorkflow' AND TaskQueue = 'tq' AND ExecutionStatus != 'ContinuedAsNew' AND TollgateCustomer = 'x\\' OR \\'a\\'=\\'a' AND TollgateCurrency = 'USD'",
    );
  });
});
