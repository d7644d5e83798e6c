/**
 * The visual schedule of a contract (docs/api.md "The visual schedule"): its milestones — planned
 * finish dates against the dates they were completed, accepted and invoiced, coloured by status —
 * and its invoices (date, due date, amount; a milestone billed by progress has several, each drawn
 * on its row) on one time axis, with a legend and the currency, as SVG text. Pure: the same state
 * gives the same bytes (no clock, no randomness, fixed number formatting), so a test can compare
 * it; every text taken from the contract is escaped.
 */
import { addDays, daysBetween } from '../../libs/dates';
import { currentVersion, type ContractState } from '../../libs/domain/contract';
import { escapeXml } from '../../libs/markup';

/** What the picture shows, taken from the contract's state (`scheduleModel`). */
export interface ScheduleModel {
  contractId: string;
  customerName: string;
  currency: string;
  signedDate: string;
  /** The contract's today (its business clock). */
  today: string;
  milestones: ScheduleMilestone[];
  invoices: ScheduleInvoice[];
}

export interface ScheduleMilestone {
  id: string;
  name: string;
  amount: string;
  status: string;
  billable: boolean;
  planned?: string;
  /** Completed or declared. */
  done?: string;
  accepted?: string;
  /** Its first invoice's date (its row draws each of its invoices, see `scheduleSvg`). */
  invoiced?: string;
  /** A milestone billed by progress (docs/progressive-billing.md): the last percent reported, what its parts billed. */
  progress?: { percent: string; billed: string; parts: number };
}

export interface ScheduleInvoice {
  /** Absent while the invoicing service has not numbered it yet. */
  number?: string;
  kind: string;
  milestoneIds: string[];
  amount: string;
  date: string;
  dueDate: string;
  paid: boolean;
  /** A progress invoice: its part number (absent on the invoice of the rest). */
  part?: number;
  /** Progress billing: the percent complete it bills up to ("100" on the invoice of the rest). */
  progress?: string;
}

/** The schedule of a contract's state: its current terms' milestones (by sequence, then id) and every invoice in issue order. */
export function scheduleModel(state: Pick<ContractState, 'contractId' | 'currency' | 'clock' | 'versions' | 'milestones' | 'invoices'>): ScheduleModel {
  const terms = currentVersion(state).terms;
  const milestones = [...terms.milestones]
    .sort((a, b) => a.sequence - b.sequence || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m): ScheduleMilestone => {
      const s = state.milestones[m.id];
      const planned = m.trigger.type === 'date' ? m.trigger.date : m.plannedFinishDate;
      const done = s?.completedOn ?? s?.declaredOn;
      return {
        id: m.id, name: m.name, amount: m.amount, status: s?.status ?? 'planned', billable: m.billable !== false,
        ...(planned ? { planned } : {}), ...(done ? { done } : {}),
        ...(s?.acceptedOn ? { accepted: s.acceptedOn } : {}), ...(s?.invoicedOn ? { invoiced: s.invoicedOn } : {}),
        ...(s?.progress ? { progress: { percent: s.progress.percent, billed: s.progress.billed, parts: s.progress.parts } } : {}),
      };
    });
  return {
    contractId: state.contractId,
    customerName: terms.customer.name,
    currency: state.currency,
    signedDate: terms.signedDate,
    today: state.clock,
    milestones,
    invoices: state.invoices.map((i) => ({
      ...(i.number ? { number: i.number } : {}), kind: i.kind, milestoneIds: [...i.milestoneIds], amount: i.amount, date: i.date, dueDate: i.dueDate, paid: i.paid,
      ...(i.part !== undefined ? { part: i.part } : {}), ...(i.progress ? { progress: i.progress.percent } : {}),
    })),
  };
}

/** The colour of each milestone status (the console's badges). */
export const STATUS_COLOURS: Readonly<Record<string, string>> = {
  planned: '#98a2b3',
  completed: '#2f6fb2',
  declared: '#5b8fd0',
  rejected: '#b42318',
  accepted: '#2e9a5b',
  invoiced: '#1f6b3f',
  covered: '#1f6b3f',
  paid: '#0b4a2a',
  cancelled: '#c0c5cf',
};

/** The colour of each invoice kind. */
export const INVOICE_COLOURS: Readonly<Record<string, string>> = {
  milestone: '#2f6fb2',
  advance: '#7a5af8',
  supplementary: '#b76e00',
};

const LATE = '#b42318';
const ON_TIME = '#2e9a5b';
const MUTED = '#667085';
const LINE = '#d9dde5';

export { escapeXml };

/** At most `max` characters (an ellipsis marks a cut), before escaping. */
function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const num = (n: number) => (Math.round(n * 10) / 10).toFixed(1);

/** Adds whole months to a YYYY-MM-DD date's month (the first of the month). */
function monthStart(date: string, months = 0): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7)) - 1 + months;
  const yy = y + Math.floor(m / 12);
  const mm = ((m % 12) + 12) % 12;
  return `${String(yy).padStart(4, '0')}-${String(mm + 1).padStart(2, '0')}-01`;
}

const WIDTH = 1100;
const LABELS = 400;
const RIGHT = 30;
const ROW = 26;
const AXIS_Y = 78;

interface Attrs { [name: string]: string | number | undefined }

function el(name: string, attrs: Attrs, children?: string): string {
  const a = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v!)}"`).join('');
  return children === undefined ? `<${name}${a}/>` : `<${name}${a}>${children}</${name}>`;
}

const text = (attrs: Attrs, content: string) => el('text', attrs, escapeXml(content));
const tip = (content: string) => el('title', {}, escapeXml(content));

function diamond(x: number, y: number, r: number, attrs: Attrs, title: string): string {
  return el('path', { d: `M${num(x)} ${num(y - r)}L${num(x + r)} ${num(y)}L${num(x)} ${num(y + r)}L${num(x - r)} ${num(y)}Z`, ...attrs }, tip(title));
}

function triangle(x: number, y: number, r: number, attrs: Attrs, title: string): string {
  return el('path', { d: `M${num(x)} ${num(y - r)}L${num(x + r)} ${num(y + r * 0.8)}L${num(x - r)} ${num(y + r * 0.8)}Z`, ...attrs }, tip(title));
}

/**
 * The schedule as an SVG document: a header (contract, customer, currency, today), a month axis,
 * one row per milestone (◇ planned, ○ completed or declared, ● accepted, ▲ on the date of each of
 * its invoices — one billed by progress has a part per report, then the rest; a line from the plan
 * to the first actual date, red when late), one row per invoice (▲ on its date, filled
 * when paid, a line to its due date), a dashed line at today, and the legend.
 */
export function scheduleSvg(model: ScheduleModel): string {
  const dates: string[] = [model.signedDate, model.today];
  for (const m of model.milestones) for (const d of [m.planned, m.done, m.accepted, m.invoiced]) if (d) dates.push(d);
  for (const i of model.invoices) dates.push(i.date, i.dueDate);
  let first = dates.reduce((a, b) => (a < b ? a : b));
  let last = dates.reduce((a, b) => (a > b ? a : b));
  const pad = Math.max(3, Math.round(daysBetween(first, last) * 0.03));
  first = addDays(first, -pad);
  last = addDays(last, pad);
  const span = Math.max(1, daysBetween(first, last));
  const plotWidth = WIDTH - LABELS - RIGHT;
  const x = (d: string) => LABELS + (daysBetween(first, d) / span) * plotWidth;
  const cur = model.currency;

  const parts: string[] = [];
  // Header.
  parts.push(text({ x: 12, y: 24, 'font-size': 16, 'font-weight': 'bold' }, `Schedule of contract ${model.contractId}`));
  parts.push(text({ x: 12, y: 44, fill: MUTED }, `${model.customerName} · currency ${cur} · signed ${model.signedDate} · today ${model.today}`));

  let y = AXIS_Y + 10;
  const rows: string[] = [];
  const section = (title: string) => {
    y += 8;
    rows.push(text({ x: 12, y: y + 12, 'font-weight': 'bold' }, title));
    y += ROW - 6;
  };

  /** The issued milestone invoices of each milestone (parts of one billed by progress, then the rest), in issue order. */
  const invoicesOf = new Map<string, ScheduleInvoice[]>();
  for (const inv of model.invoices) {
    if (inv.kind !== 'milestone' || inv.number === undefined) continue;
    for (const id of inv.milestoneIds) invoicesOf.set(id, [...(invoicesOf.get(id) ?? []), inv]);
  }

  section(`Milestones (${model.milestones.length})`);
  for (const m of model.milestones) {
    const cy = y + ROW / 2;
    const colour = STATUS_COLOURS[m.status] ?? MUTED;
    const g: string[] = [];
    const progress = m.progress ? ` · ${m.progress.percent} %` : '';
    g.push(el('text', { x: 12, y: cy + 4 }, `${el('tspan', { 'font-weight': 'bold' }, escapeXml(clip(m.id, 24)))} ${escapeXml(clip(m.name, Math.max(8, 36 - Math.min(m.id.length, 24) - progress.length)))}`));
    g.push(text({ x: LABELS - 10, y: cy + 4, 'text-anchor': 'end', fill: m.billable ? undefined : MUTED }, m.billable ? `${m.amount} ${cur}${progress}` : 'not billable'));
    const actual = [m.done, m.accepted].filter((d): d is string => d !== undefined).sort()[0];
    if (m.planned && actual) {
      const late = actual > m.planned;
      g.push(el('line', { x1: x(m.planned), y1: cy, x2: x(actual), y2: cy, stroke: late ? LATE : ON_TIME, 'stroke-width': 2, 'stroke-dasharray': late ? '4 3' : undefined, class: late ? 'late' : 'on-time' }));
    }
    if (m.planned) g.push(diamond(x(m.planned), cy, 6, { fill: '#fff', stroke: colour, 'stroke-width': 2, class: 'planned' }, `${m.id} planned ${m.planned}`));
    if (m.done) g.push(el('circle', { cx: x(m.done), cy, r: 5, fill: '#fff', stroke: colour, 'stroke-width': 2, class: 'done' }, tip(`${m.id} completed ${m.done}`)));
    if (m.accepted) g.push(el('circle', { cx: x(m.accepted), cy, r: 5, fill: colour, class: 'accepted' }, tip(`${m.id} accepted ${m.accepted}`)));
    const mine = invoicesOf.get(m.id) ?? [];
    for (const inv of mine) {
      const share = inv.part !== undefined ? ` (part ${inv.part}${inv.progress ? `, ${inv.progress} %` : ''})` : inv.progress ? ' (the rest)' : '';
      g.push(triangle(x(inv.date), cy, 5, { fill: colour, class: 'invoiced', 'data-part': inv.part === undefined ? undefined : String(inv.part) },
        `${m.id} invoiced ${inv.date}${share}: ${inv.amount} ${cur} (${inv.number})`));
    }
    // Its first invoice's date without the invoice in the list: still marked.
    if (m.invoiced && mine.length === 0) g.push(triangle(x(m.invoiced), cy, 5, { fill: colour, class: 'invoiced' }, `${m.id} invoiced ${m.invoiced}`));
    if (m.status === 'cancelled') g.push(el('line', { x1: 12, y1: cy, x2: LABELS - 10, y2: cy, stroke: MUTED, class: 'cancelled' }));
    rows.push(el('g', {
      class: 'milestone', 'data-id': m.id, 'data-status': m.status, ...(m.planned ? { 'data-planned': m.planned } : {}),
      ...(m.progress ? { 'data-progress': m.progress.percent, 'data-billed': m.progress.billed } : {}),
    }, g.join('')));
    y += ROW;
  }

  section(`Invoices (${model.invoices.length})`);
  if (model.invoices.length === 0) {
    rows.push(text({ x: 12, y: y + ROW / 2 + 4, fill: MUTED }, 'none issued yet'));
    y += ROW;
  }
  for (const inv of model.invoices) {
    const cy = y + ROW / 2;
    const colour = INVOICE_COLOURS[inv.kind] ?? MUTED;
    const share = inv.part !== undefined ? ` part ${inv.part}` : inv.progress ? ' rest' : '';
    const label = `${inv.number ?? '(being issued)'} ${inv.kind}${inv.milestoneIds.length ? ` ${inv.milestoneIds.join(', ')}` : ''}${share}`;
    const g: string[] = [];
    g.push(text({ x: 12, y: cy + 4, class: 'number' }, clip(label, 40)));
    g.push(text({ x: LABELS - 10, y: cy + 4, 'text-anchor': 'end' }, `${inv.amount} ${cur}`));
    g.push(el('line', { x1: x(inv.date), y1: cy, x2: x(inv.dueDate), y2: cy, stroke: colour, 'stroke-opacity': '0.4', 'stroke-width': 2, class: 'payment-window' }));
    g.push(el('line', { x1: x(inv.dueDate), y1: cy - 5, x2: x(inv.dueDate), y2: cy + 5, stroke: colour, 'stroke-width': 2, class: 'due' }, tip(`due ${inv.dueDate}`)));
    g.push(triangle(x(inv.date), cy, 6, { fill: inv.paid ? colour : '#fff', stroke: colour, 'stroke-width': 2, class: 'issued' }, `${inv.number ?? 'invoice'} ${inv.date}: ${inv.amount} ${cur}${inv.paid ? ', paid' : ''}`));
    rows.push(el('g', {
      class: 'invoice', 'data-number': inv.number ?? '', 'data-kind': inv.kind, 'data-date': inv.date, 'data-amount': inv.amount,
      ...(inv.part !== undefined ? { 'data-part': String(inv.part) } : {}), ...(inv.progress ? { 'data-progress': inv.progress } : {}),
    }, g.join('')));
    y += ROW;
  }

  const plotBottom = y + 6;

  // Month axis: at most 12 ticks.
  const months = (Number(last.slice(0, 4)) - Number(first.slice(0, 4))) * 12 + Number(last.slice(5, 7)) - Number(first.slice(5, 7));
  const step = Math.max(1, Math.ceil((months + 1) / 12));
  const ticks: string[] = [];
  for (let t = monthStart(first, 1), k = 0; t <= last && k < 200; t = monthStart(t, step), k += 1) {
    const tx = x(t);
    ticks.push(el('line', { x1: tx, y1: AXIS_Y, x2: tx, y2: plotBottom, stroke: LINE, class: 'tick' }));
    ticks.push(text({ x: tx, y: AXIS_Y - 6, 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }, t.slice(0, 7)));
  }

  const todayX = x(model.today);
  const today = el('g', { class: 'today' }, [
    el('line', { x1: todayX, y1: AXIS_Y, x2: todayX, y2: plotBottom, stroke: MUTED, 'stroke-dasharray': '2 3' }),
    text({ x: todayX + 3, y: plotBottom + 12, fill: MUTED, 'font-size': 11 }, `today ${model.today}`),
  ].join(''));

  // Legend: the markers, then the status colours.
  let ly = plotBottom + 34;
  const legend: string[] = [text({ x: 12, y: ly + 4, 'font-weight': 'bold' }, 'Legend')];
  let lx = 80;
  const item = (shape: string, label: string) => {
    legend.push(shape, text({ x: lx + 10, y: ly + 4 }, label));
    lx += 24 + label.length * 7;
  };
  item(diamond(lx, ly, 5, { fill: '#fff', stroke: MUTED, 'stroke-width': 2 }, 'planned finish'), 'planned finish');
  item(el('circle', { cx: lx, cy: ly, r: 5, fill: '#fff', stroke: MUTED, 'stroke-width': 2 }), 'completed / declared');
  item(el('circle', { cx: lx, cy: ly, r: 5, fill: MUTED }), 'accepted');
  item(triangle(lx, ly, 5, { fill: MUTED }, 'invoiced'), 'invoiced');
  item(el('line', { x1: lx - 6, y1: ly, x2: lx + 6, y2: ly, stroke: LATE, 'stroke-width': 2, 'stroke-dasharray': '4 3' }), 'late');
  item(el('line', { x1: lx - 6, y1: ly, x2: lx + 6, y2: ly, stroke: ON_TIME, 'stroke-width': 2 }), 'on time');
  item(triangle(lx, ly, 5, { fill: '#fff', stroke: MUTED, 'stroke-width': 2 }, 'invoice issued, open'), 'invoice (filled: paid)');
  item(el('line', { x1: lx, y1: ly - 5, x2: lx, y2: ly + 5, stroke: MUTED, 'stroke-width': 2 }), 'due date');
  ly += 22;
  lx = 80;
  for (const [status, colour] of Object.entries(STATUS_COLOURS)) item(el('rect', { x: lx - 5, y: ly - 5, width: 10, height: 10, fill: colour }), status);
  ly += 22;
  lx = 80;
  for (const [kind, colour] of Object.entries(INVOICE_COLOURS)) item(el('rect', { x: lx - 5, y: ly - 5, width: 10, height: 10, fill: colour }), `${kind} invoice`);
  legend.push(text({ x: lx + 10, y: ly + 4, fill: MUTED }, `amounts in ${cur}`));
  const height = ly + 20;

  const title = `Schedule of contract ${model.contractId} (${cur})`;
  const desc = `${model.milestones.length} milestones and ${model.invoices.length} invoices of ${model.customerName}, ${first} to ${last}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${num(height)}" viewBox="0 0 ${WIDTH} ${num(height)}" role="img" aria-labelledby="schedule-title schedule-desc"`
      + ` font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12" fill="#1d2330" data-contract-id="${escapeXml(model.contractId)}" data-currency="${escapeXml(cur)}">`,
    el('title', { id: 'schedule-title' }, escapeXml(title)),
    el('desc', { id: 'schedule-desc' }, escapeXml(desc)),
    el('rect', { x: 0, y: 0, width: WIDTH, height, fill: '#fff' }),
    ...parts,
    el('g', { class: 'axis' }, ticks.join('')),
    el('g', { class: 'rows' }, rows.join('')),
    today,
    el('g', { class: 'legend' }, legend.join('')),
    '</svg>',
    '',
  ].join('\n');
}
