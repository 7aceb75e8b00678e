// The REST API reference (api.html): fetches the service's own OpenAPI 3.1
// document and renders it, with nothing from outside this server. Schemas are
// shown as compact type trees with their component references resolved.
import { $, h } from './dom.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

async function main() {
  const status = $('api-status');
  let doc;
  try {
    const res = await fetch('/api/openapi.json', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = await res.json();
  } catch (error) {
    status.textContent = `Could not load /api/openapi.json: ${error.message}`;
    status.className = 'bad';
    return;
  }
  document.title = `${doc.info.title} ${doc.info.version} · REST API reference`;
  $('api-title').textContent = `${doc.info.title}: REST API ${doc.info.version}`;
  const intro = $('api-intro');
  intro.append(h('p', {}, doc.info.description ?? ''), h('p', { class: 'muted' }, `OpenAPI ${doc.openapi}`));
  intro.hidden = false;

  const operations = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) operations.push({ path, method, operation: item[method] });
  }
  const toc = $('api-toc');
  toc.append(
    h('h2', {}, 'Endpoints'),
    h(
      'ul',
      {},
      ...operations.map(({ path, method, operation }) =>
        h('li', {}, h('a', { href: `#${anchor(method, path)}` }, `${method.toUpperCase()} ${path}`), ` · ${operation.summary ?? ''}`),
      ),
    ),
  );
  toc.hidden = false;
  $('api-operations').append(...operations.map((entry) => renderOperation(doc, entry)));
  status.textContent = `${operations.length} operations.`;
  status.className = 'muted';
}

function anchor(method, path) {
  return `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

function renderOperation(doc, { path, method, operation }) {
  const section = h(
    'section',
    { class: 'card operation', id: anchor(method, path), 'data-testid': 'api-operation' },
    h('h2', {}, h('span', { class: `method ${method}` }, method.toUpperCase()), h('code', {}, path), h('span', { class: 'muted' }, operation.summary ?? '')),
  );
  if (operation.description) section.append(h('p', {}, operation.description));
  if (operation.security?.length)
    section.append(h('p', { class: 'muted' }, 'Mutating: Authorization: Bearer <AMI_API_TOKEN> when the server has one; this machine only when it has none.'));
  if (operation.parameters?.length) {
    section.append(
      h('h3', {}, 'Parameters'),
      h(
        'table',
        { class: 'params' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'In'), h('th', {}, 'Required'), h('th', {}, 'Schema'), h('th', {}, 'Description'))),
        h(
          'tbody',
          {},
          ...operation.parameters.map((param) =>
            h(
              'tr',
              {},
              h('td', {}, h('code', {}, param.name)),
              h('td', {}, param.in),
              h('td', {}, param.required ? 'yes' : 'no'),
              h('td', {}, h('code', {}, typeLine(doc, param.schema))),
              h('td', {}, param.description ?? ''),
            ),
          ),
        ),
      ),
    );
  }
  if (operation.requestBody) {
    section.append(h('h3', {}, `Body${operation.requestBody.required ? '' : ' (optional)'}`));
    for (const [type, media] of Object.entries(operation.requestBody.content)) section.append(h('p', { class: 'muted' }, type), schemaBlock(doc, media.schema));
  }
  const responses = h('dl', { class: 'responses' });
  for (const [code, response] of Object.entries(operation.responses)) {
    const resolved = resolve(doc, response);
    responses.append(h('dt', {}, `${code} · ${resolved.description ?? ''}`));
    for (const [type, media] of Object.entries(resolved.content ?? {})) {
      responses.append(h('dd', {}, h('span', { class: 'muted' }, type), media.schema ? schemaBlock(doc, media.schema) : ''));
    }
  }
  section.append(h('h3', {}, 'Answers'), responses);
  return section;
}

function resolve(doc, value) {
  let current = value;
  for (let depth = 0; current?.$ref && depth < 10; depth++) {
    current = current.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return current ?? {};
}

function schemaBlock(doc, schema) {
  return h('pre', { class: 'schema' }, render(doc, schema, 0, new Set()));
}

/** One line: the type of a schema, with its pattern, range or values. */
function typeLine(doc, schema) {
  const s = resolve(doc, schema);
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((value) => JSON.stringify(value)).join(' | ');
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return alternatives.map((alternative) => typeLine(doc, alternative)).join(' | ');
  const facts = [];
  if (s.format) facts.push(s.format);
  if (s.pattern) facts.push(`/${s.pattern}/`);
  if (s.minimum !== undefined) facts.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) facts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) facts.push(`<= ${s.maximum}`);
  if (s.default !== undefined) facts.push(`default ${JSON.stringify(s.default)}`);
  const type = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  return facts.length ? `${type} (${facts.join(', ')})` : type;
}

/** A schema as an indented tree: objects by property (? for optional), arrays by item, the rest by typeLine. */
function render(doc, schema, depth, seen) {
  const s = resolve(doc, schema);
  const pad = '  '.repeat(depth);
  const ref = schema?.$ref;
  if (ref && seen.has(ref)) return `${ref.split('/').at(-1)} (see above)`;
  const nextSeen = ref ? new Set([...seen, ref]) : seen;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.some((alternative) => resolve(doc, alternative).type === 'object' || resolve(doc, alternative).type === 'array')) {
    return alternatives.map((alternative) => render(doc, alternative, depth, nextSeen)).join(` |\n${pad}`);
  }
  if (s.type === 'object' && s.properties) {
    const required = new Set(s.required ?? []);
    const lines = Object.entries(s.properties).map(([name, property]) => {
      const note = resolve(doc, property).description;
      return `${pad}  ${name}${required.has(name) ? '' : '?'}: ${render(doc, property, depth + 1, nextSeen)}${note ? `  // ${note}` : ''}`;
    });
    const more = s.additionalProperties === false ? '' : `\n${pad}  …`;
    return `{\n${lines.join('\n')}${more}\n${pad}}`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `{ [key: string]: ${render(doc, s.additionalProperties, depth + 1, nextSeen)} }`;
  }
  if (s.type === 'array') return `[${render(doc, s.items ?? {}, depth, nextSeen)}]`;
  return typeLine(doc, schema);
}

main();
