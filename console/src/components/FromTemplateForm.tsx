/**
 * "New contract from this template" (a key with `manage` only; docs/templates.md): who, when and
 * the fee; Preview asks `POST /templates/:name/contracts` for the terms (each milestone's amount,
 * its planned date, the contract value) without creating anything; Create contract sends the very
 * same request with `create: true` and links to the new contract. The API does every check: its
 * refusals are shown beside the field their `details[].path` names (and whole in a banner).
 */
import { useState } from 'react';
import { ApiError, post } from '../api';
import { todayIn } from '../dates';
import { invoiceTimingText } from '../format';
import { formatMoney, sum } from '../money';
import { href } from '../router';
import { useSession } from '../session';
import type { FromTemplateRequest, ScheduleTemplate, TermsFromTemplate } from '../types';
import { ErrorBanner } from './ErrorBanner';
import { plannedDateOf } from './Timeline';

type Field = 'contractId' | 'customerId' | 'customerName' | 'currency' | 'signedDate' | 'fee' | 'paymentTerms' | 'clockStart';
type Form = Record<Field, string>;

/** The request fields (without `body.`, or `terms.` for the built terms' own checks) and the form field that gives them. */
const FIELD_OF_PATH: Array<[RegExp, Field]> = [
  [/^contractId$/, 'contractId'],
  [/^customer(\.id)?$/, 'customerId'],
  [/^customer\.name$/, 'customerName'],
  [/^currency$/, 'currency'],
  [/^signedDate$/, 'signedDate'],
  // contractValue is the fee.
  [/^(fee|contractValue)$/, 'fee'],
  [/^paymentTerms$/, 'paymentTerms'],
  [/^sandbox(\.clockStart)?$/, 'clockStart'],
];

/** Maps an error detail's path (`body.fee`, `body.customer.id`, `terms.sandbox.clockStart`, …) to the form field it names. */
export function templateFieldOf(path: string): Field | undefined {
  const p = path.replace(/^(body|terms)\./, '');
  return FIELD_OF_PATH.find(([re]) => re.test(p))?.[1];
}

/** The request for the form as it stands: what the API checks, as typed (trimmed); optional fields only when given. */
function requestOf(template: ScheduleTemplate, f: Form): FromTemplateRequest {
  return {
    templateVersion: template.version,
    contractId: f.contractId.trim(),
    customer: { id: f.customerId.trim(), name: f.customerName.trim() },
    currency: f.currency.trim(),
    signedDate: f.signedDate,
    fee: f.fee.trim(),
    ...(f.paymentTerms.trim() ? { paymentTerms: f.paymentTerms.trim() } : {}),
    ...(f.clockStart ? { sandbox: { clockStart: f.clockStart } } : {}),
  };
}

export function FromTemplateForm({ template }: { template: ScheduleTemplate }) {
  const { me } = useSession();
  const [form, setForm] = useState<Form>(() => ({
    contractId: '', customerId: me?.customerId ?? '', customerName: '', currency: '', signedDate: todayIn('UTC'), fee: '', paymentTerms: '', clockStart: '',
  }));
  // The last preview, with the request it answered: it stands (and may be created) only while the form still says the same.
  const [preview, setPreview] = useState<{ sent: string; answer: TermsFromTemplate } | undefined>();
  const [created, setCreated] = useState<TermsFromTemplate | undefined>();
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);

  const request = requestOf(template, form);
  const sent = JSON.stringify(request);
  const current = preview?.sent === sent ? preview.answer : undefined;
  const path = `/templates/${encodeURIComponent(template.name)}/contracts`;

  const set = (field: Field, value: string) => setForm({ ...form, [field]: value });

  const call = async (create: boolean) => {
    setBusy(true);
    setError(undefined);
    setFieldErrors({});
    if (!create) setCreated(undefined);
    try {
      const answer = await post<TermsFromTemplate>(path, { ...request, create });
      if (create) {
        setCreated(answer);
        setPreview(undefined);
      } else {
        setPreview({ sent, answer });
      }
    } catch (err) {
      if (err instanceof ApiError) {
        const mapped: Partial<Record<Field, string>> = {};
        const add = (field: Field, message: string) => { mapped[field] = mapped[field] ? `${mapped[field]}; ${message}` : message; };
        for (const d of err.details) {
          const field = templateFieldOf(d.path);
          if (field) add(field, d.message);
        }
        if (err.code === 'duplicate_contract') add('contractId', err.message);
        setFieldErrors(mapped);
      }
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  const input = (field: Field, label: string, props: { type?: string; placeholder?: string; size?: number; hint?: string; upper?: boolean } = {}) => (
    <label>
      {label}
      <input
        type={props.type ?? 'text'} value={form[field]} placeholder={props.placeholder} size={props.size}
        onChange={(e) => set(field, props.upper ? e.target.value.toUpperCase() : e.target.value)}
        aria-invalid={Boolean(fieldErrors[field])} data-testid={`action-template-${field}`}
      />
      {props.hint && <span className="small muted">{props.hint}</span>}
      {fieldErrors[field] && <span className="field-error" data-testid={`action-template-error-${field}`}>{fieldErrors[field]}</span>}
    </label>
  );

  const terms = current?.terms;
  return (
    <section className="panel actions" data-testid="action-template-form">
      <h2>New contract from this template <span className="muted small">(version {template.version})</span></h2>
      <form className="fields" onSubmit={(e) => { e.preventDefault(); void call(false); }} noValidate>
        {input('contractId', 'Contract id', { placeholder: 'acme-2025-07' })}
        {input('customerId', 'Customer id', { placeholder: 'cust-acme' })}
        {input('customerName', 'Customer name', { placeholder: 'Acme' })}
        {input('currency', 'Currency', { placeholder: 'JPY', size: 5, upper: true })}
        {input('signedDate', 'Signed date', { type: 'date' })}
        {input('fee', 'Fee', { placeholder: '1000001' })}
        {input('paymentTerms', 'Payment terms', { placeholder: template.paymentTerms ?? 'NET_30', size: 8, hint: template.paymentTerms ? `empty: the template's ${template.paymentTerms}` : 'required: the template names none' })}
        {input('clockStart', 'Sandbox clock start', { type: 'date', hint: 'empty: a live contract' })}
        <div className="buttons">
          <button type="submit" disabled={busy} data-testid="action-template-preview">Preview terms</button>
          <button type="button" disabled={busy || !current} onClick={() => void call(true)} data-testid="action-template-create" title={current ? 'Create the contract previewed' : 'Preview the terms first'}>
            Create contract
          </button>
        </div>
      </form>
      <ErrorBanner error={error} what={`Building terms from ${template.name}`} />
      {preview && !current && <p className="muted small" data-testid="template-preview-stale">The form changed since the preview: preview again before creating.</p>}
      {created?.contract && (
        <div className="banner banner-ok" data-testid="action-template-result">
          Contract <a href={href(['contracts', created.contract.contractId])} data-testid="template-created-link">{created.contract.contractId}</a> created
          from {created.template.name} version {created.template.version} (terms version {created.contract.version}).
        </div>
      )}
      {terms && current && (
        <div data-testid="template-preview">
          <h3>Preview: {terms.contractId} for {terms.customer.name} ({terms.customer.id}), signed {terms.signedDate}, {terms.paymentTerms}{terms.sandbox ? `, sandbox clock from ${terms.sandbox.clockStart}` : ''}</h3>
          <table className="grid small">
            <thead><tr><th className="num">#</th><th>Milestone</th><th className="num">Percent</th><th className="num">Amount</th><th>Planned date</th><th>Trigger</th><th>Invoice timing</th></tr></thead>
            <tbody>
              {terms.milestones.map((m) => (
                <tr key={m.id} data-testid="template-preview-row" data-milestone-id={m.id}>
                  <td className="num">{m.sequence}</td>
                  <td>{m.name} <span className="muted">({m.id})</span></td>
                  <td className="num">{template.milestones.find((t) => t.id === m.id)?.percent ?? '—'} %</td>
                  <td className="num" data-testid="template-preview-amount" data-amount={m.amount}>{formatMoney(m.amount, terms.currency)}</td>
                  <td data-testid="template-preview-date">{plannedDateOf(m) ?? '—'}</td>
                  <td>{m.trigger.type === 'date' ? `on ${m.trigger.date}` : `${m.trigger.completion.replace(/_/g, ' ')}${m.trigger.deemedAcceptanceDays !== undefined ? `, deemed accepted after ${m.trigger.deemedAcceptanceDays} days` : ''}`}</td>
                  <td>{invoiceTimingText(m.invoiceTiming)}</td>
                </tr>
              ))}
              <tr className="total">
                <td /><td>Milestones</td><td />
                <td className="num" data-testid="template-preview-sum">{formatMoney(sum(terms.milestones.map((m) => m.amount), terms.currency), terms.currency)}</td>
                <td colSpan={3} />
              </tr>
            </tbody>
          </table>
          <p>Contract value <strong data-testid="template-contract-value" data-amount={terms.contractValue}>{terms.contractValue ? formatMoney(terms.contractValue, terms.currency) : '—'}</strong>
            <span className="muted small"> · obligations' SSPs: {terms.obligations.map((o) => `${o.id} ${formatMoney(o.ssp, terms.currency)}`).join(', ')}</span>
          </p>
        </div>
      )}
    </section>
  );
}
