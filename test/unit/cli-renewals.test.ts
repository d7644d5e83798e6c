/** `tollgate renew`, `renewals` and `schedule`: what they send to the gateway and what they print or write. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsonAnswer, runCli } from '../support/cli';

const run = (argv: string[]) => runCli(argv, 'k-finance');

const created = { contractId: 'acme-2026', workflowId: 'contract-acme-2026', version: 1, renews: 'acme-2025' };

let fetch: jest.SpiedFunction<typeof globalThis.fetch>;
let dir: string;
beforeEach(() => {
  fetch = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => jsonAnswer(created, 201));
  dir = mkdtempSync(path.join(os.tmpdir(), 'tollgate-cli-renewals-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});
const sent = (i: number) => {
  const [url, init] = fetch.mock.calls[i]!;
  const headers = new Headers(init?.headers as ConstructorParameters<typeof Headers>[0]);
  return { url: new URL(String(url)), method: init?.method, body: init?.body ? JSON.parse(String(init.body)) : undefined, headers };
};

describe('tollgate renew', () => {
  it('sends the successor\'s id, signed date and shift, with the idempotency key, and prints the successor', async () => {
    const r = await run(['renew', 'acme-2025', '--id', 'acme-2026', '--signed', '2026-01-31', '--shift-months', '12', '--shift-days', '1', '--suffix', '-y2', '--idempotency-key', 'renew-acme']);
    expect(r).toMatchObject({ code: 0, stdout: 'renewed acme-2025 as acme-2026 (workflow contract-acme-2026, version 1)' });
    const req = sent(0);
    expect([req.method, req.url.pathname]).toEqual(['POST', '/contracts/acme-2025/renewals']);
    expect(req.body).toEqual({ contractId: 'acme-2026', signedDate: '2026-01-31', shift: { months: 12, days: 1 }, milestoneIdSuffix: '-y2' });
    expect(req.headers.get('idempotency-key')).toBe('renew-acme');
    expect(req.headers.get('authorization')).toBe('Bearer k-finance');
  });

  it('sends a new schedule from a file: a list of milestones, or an object with other fields', async () => {
    const milestones = [{ id: 'y2', name: 'Year 2', description: 'y', obligationId: 'impl', amount: '100.00', sequence: 1, trigger: { type: 'date', date: '2026-03-01' } }];
    const list = path.join(dir, 'milestones.json');
    writeFileSync(list, JSON.stringify(milestones));
    expect((await run(['renew', 'acme 2025', '--id', 'acme-2026', '--signed', '2026-01-31', '--file', list])).code).toBe(0);
    expect(sent(0).url.pathname).toBe('/contracts/acme%202025/renewals');
    expect(sent(0).body).toEqual({ milestones, contractId: 'acme-2026', signedDate: '2026-01-31' });
    const object = path.join(dir, 'renewal.yaml');
    writeFileSync(object, 'milestones:\n  - id: y2\n    amount: "100.00"\ncontractValue: "100.00"\ncontractId: ignored\n');
    expect((await run(['renew', 'acme-2025', '--id', 'acme-2026', '--signed', '2026-01-31', '--file', object, '--json'])).stdout).toBe(JSON.stringify(created, null, 2));
    expect(sent(1).body).toEqual({ milestones: [{ id: 'y2', amount: '100.00' }], contractValue: '100.00', contractId: 'acme-2026', signedDate: '2026-01-31' });
  });

  it('needs --id and --signed, and whole numbers to shift by; sends nothing otherwise', async () => {
    expect((await run(['renew', 'acme-2025', '--signed', '2026-01-31'])).code).toBe(2);
    expect((await run(['renew', 'acme-2025', '--id', 'n'])).code).toBe(2);
    const bad = await run(['renew', 'acme-2025', '--id', 'n', '--signed', '2026-01-31', '--shift-days', '-3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shift-days.*whole number/);
    expect((await run(['renew', 'acme-2025', '--id', 'n', '--signed', '2026-01-31', '--file', path.join(dir, 'missing.json')])).code).toBe(2);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('exits by the API\'s refusal: 3 for a duplicate or a contract already renewed, 4 for an unknown contract', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ code: 'not_allowed_in_state', message: 'contract acme-2025 is already renewed by acme-2026', details: [] }, 409))
      .mockImplementationOnce(async () => jsonAnswer({ code: 'not_found', message: 'no contract nope', details: [] }, 404));
    expect(await run(['renew', 'acme-2025', '--id', 'x', '--signed', '2026-01-31'])).toMatchObject({ code: 3, stderr: 'not_allowed_in_state: contract acme-2025 is already renewed by acme-2026' });
    expect(await run(['renew', 'nope', '--id', 'x', '--signed', '2026-01-31'])).toMatchObject({ code: 4, stderr: 'not_found: no contract nope' });
  });
});

describe('tollgate renewals', () => {
  it('prints the chain as a table, following every page', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ data: [{ contractId: 'a', renewedBy: 'b' }], nextCursor: 'c2' }))
      .mockImplementationOnce(async () => jsonAnswer({ data: [{ contractId: 'b', renews: 'a', signedDate: '2026-01-31', renewedAt: '2026-01-20T10:00:00.000Z' }] }));
    const r = await run(['renewals', 'b']);
    expect(r.code).toBe(0);
    expect(sent(0).url.pathname).toBe('/contracts/b/renewals');
    expect(sent(1).url.searchParams.get('cursor')).toBe('c2');
    expect(r.stdout.split('\n').map((l) => l.split(/\s+/))).toEqual([
      ['CONTRACT', 'RENEWS', 'RENEWED', 'BY', 'SIGNED', 'RENEWED', 'AT'],
      ['a', '—', 'b', '—', '—'],
      ['b', 'a', '—', '2026-01-31', '2026-01-20T10:00:00.000Z'],
    ]);
  });
});

describe('tollgate schedule', () => {
  const svg = '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"><title>Schedule</title></svg>\n';
  beforeEach(() => {
    fetch.mockImplementation(async () => new Response(svg, { status: 200, headers: { 'content-type': 'image/svg+xml; charset=utf-8' } }));
  });

  it('prints the SVG, asking for it by its media type', async () => {
    const r = await run(['schedule', 'acme-2025']);
    expect(r).toMatchObject({ code: 0, stdout: svg.trimEnd() });
    expect(sent(0).url.pathname).toBe('/contracts/acme-2025/schedule.svg');
    expect(sent(0).headers.get('accept')).toMatch(/^image\/svg\+xml/);
  });

  it('writes it to a file with -o', async () => {
    const file = path.join(dir, 'acme.svg');
    const r = await run(['schedule', 'acme-2025', '-o', file]);
    expect(r).toMatchObject({ code: 0, stdout: `schedule of acme-2025 written to ${file} (${Buffer.byteLength(svg)} bytes)` });
    expect(readFileSync(file, 'utf8')).toBe(svg);
    expect((await run(['schedule', 'acme-2025', '-o', path.join(dir, 'no', 'such', 'dir.svg')])).code).toBe(2);
  });

  it('exits 4 for a contract out of reach', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ code: 'not_found', message: 'no contract x', details: [] }, 404));
    expect(await run(['schedule', 'x'])).toMatchObject({ code: 4, stderr: 'not_found: no contract x' });
  });
  it('writes the PNG, byte for byte, to a file ending in .png (asking for schedule.png, with --scale)', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80]);
    fetch.mockImplementation(async () => new Response(png, { status: 200, headers: { 'content-type': 'image/png' } }));
    const file = path.join(dir, 'acme.PNG');
    const r = await run(['schedule', 'acme-2025', '-o', file, '--scale', '3']);
    expect(r).toMatchObject({ code: 0, stdout: `schedule of acme-2025 written to ${file} (12 bytes)` });
    expect(readFileSync(file).equals(png)).toBe(true);
    expect(sent(0).url.pathname + sent(0).url.search).toBe('/contracts/acme-2025/schedule.png?scale=3');
    expect(sent(0).headers.get('accept')).toMatch(/^image\/png/);
  });

  it('--scale without a PNG file is a usage error, and nothing is sent', async () => {
    expect(await run(['schedule', 'acme-2025', '--scale', '2'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--scale is for a PNG') });
    expect(fetch).not.toHaveBeenCalled();
  });
});
