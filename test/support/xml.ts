/**
 * A small XML reader for tests (no XML parser is installed): checks that a document is well-formed
 * — one root, tags nested and closed in order, attributes quoted and unique, `&` only in the five
 * predefined or numeric entities, no `<` in text or attribute values — and returns its elements as
 * a tree with their attributes and decoded text. Enough to assert on an SVG's structure.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (entities decoded), its children's excluded. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*$/;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9A-Fa-f]+));/y;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length;) {
    const c = raw[i]!;
    if (c === '<') throw new Error(`not well-formed: "<" in ${where}`);
    if (c !== '&') {
      out += c;
      i += 1;
      continue;
    }
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(raw);
    if (!m) throw new Error(`not well-formed: a bare "&" in ${where}: ${JSON.stringify(raw.slice(i, i + 12))}`);
    out += m[1] ? NAMED[m[1]]! : String.fromCodePoint(m[2] ? Number(m[2]) : parseInt(m[3]!, 16));
    i += m[0].length;
  }
  return out;
}

/** Parses a document; throws naming the first problem. */
export function parseXml(doc: string): XmlElement {
  let i = 0;
  const skipMisc = () => {
    for (;;) {
      while (i < doc.length && /\s/.test(doc[i]!)) i += 1;
      if (doc.startsWith('<?', i)) {
        const end = doc.indexOf('?>', i);
        if (end < 0) throw new Error('not well-formed: unclosed processing instruction');
        i = end + 2;
      } else if (doc.startsWith('<!--', i)) {
        const end = doc.indexOf('-->', i);
        if (end < 0) throw new Error('not well-formed: unclosed comment');
        i = end + 3;
      } else return;
    }
  };
  skipMisc();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < doc.length) {
    if (doc[i] !== '<') {
      const next = doc.indexOf('<', i);
      const raw = doc.slice(i, next < 0 ? doc.length : next);
      if (stack.length === 0) {
        if (raw.trim()) throw new Error(`not well-formed: text outside the root: ${JSON.stringify(raw.slice(0, 40))}`);
      } else stack[stack.length - 1]!.text += decode(raw, `the text of <${stack[stack.length - 1]!.name}>`);
      i = next < 0 ? doc.length : next;
      continue;
    }
    if (doc.startsWith('<!--', i)) {
      const end = doc.indexOf('-->', i);
      if (end < 0) throw new Error('not well-formed: unclosed comment');
      i = end + 3;
      continue;
    }
    if (doc.startsWith('</', i)) {
      const end = doc.indexOf('>', i);
      const name = doc.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`not well-formed: </${name}> closes <${open?.name ?? 'nothing'}>`);
      i = end + 1;
      if (stack.length === 0) {
        skipMisc();
        if (i < doc.length) throw new Error(`not well-formed: content after the root element: ${JSON.stringify(doc.slice(i, i + 40))}`);
      }
      continue;
    }
    // A start tag: name, attributes, then > or />.
    let j = i + 1;
    const nameMatch = /^[^\s/>]+/.exec(doc.slice(j));
    if (!nameMatch || !NAME.test(nameMatch[0])) throw new Error(`not well-formed: bad tag name at ${i}`);
    const el: XmlElement = { name: nameMatch[0], attrs: {}, children: [], text: '' };
    j += nameMatch[0].length;
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(j))![0].length;
      j += ws;
      if (doc.startsWith('/>', j) || doc[j] === '>') break;
      if (ws === 0) throw new Error(`not well-formed: attributes of <${el.name}> not separated`);
      const attr = /^([^\s=/>]+)\s*=\s*(["'])/.exec(doc.slice(j));
      if (!attr || !NAME.test(attr[1]!)) throw new Error(`not well-formed: bad attribute in <${el.name}> at ${j}: ${JSON.stringify(doc.slice(j, j + 30))}`);
      const valueStart = j + attr[0].length;
      const valueEnd = doc.indexOf(attr[2]!, valueStart);
      if (valueEnd < 0) throw new Error(`not well-formed: unclosed attribute ${attr[1]} of <${el.name}>`);
      if (attr[1]! in el.attrs) throw new Error(`not well-formed: attribute ${attr[1]} twice in <${el.name}>`);
      el.attrs[attr[1]!] = decode(doc.slice(valueStart, valueEnd), `attribute ${attr[1]} of <${el.name}>`);
      j = valueEnd + 1;
    }
    const selfClosing = doc.startsWith('/>', j);
    i = j + (selfClosing ? 2 : 1);
    if (stack.length === 0) {
      if (root) throw new Error('not well-formed: a second root element');
      root = el;
    } else stack[stack.length - 1]!.children.push(el);
    if (!selfClosing) stack.push(el);
    else if (stack.length === 0) {
      skipMisc();
      if (i < doc.length) throw new Error('not well-formed: content after the root element');
    }
  }
  if (stack.length > 0) throw new Error(`not well-formed: <${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) throw new Error('not well-formed: no root element');
  return root;
}

/** Every element of a tree, depth first (the root included). */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}

/** An element's text and its descendants', in document order. */
export function textOf(el: XmlElement): string {
  return el.text + el.children.map(textOf).join('');
}
