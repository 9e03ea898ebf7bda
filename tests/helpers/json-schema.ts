// Checks a value against a JSON Schema of an OpenAPI 3.1 document: the keywords our generated document uses
// ($ref, type, enum, const, properties, required, additionalProperties, items, anyOf, oneOf, allOf, maxItems,
// minimum). Returns the problems found, each with the path to the value. Objects are closed: a property the schema
// does not name is a problem (an answer that grew a field the document does not know of).
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function schemaProblems(doc: Schema, schema: Schema, value: unknown, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Schema)[k], doc);
    return schemaProblems(doc, target as Schema, value, at);
  }
  const problems: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) return [`${at}: ${t} is not ${types.join('|')}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if ('const' in schema && schema.const !== value) problems.push(`${at}: not ${JSON.stringify(schema.const)}`);
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) problems.push(`${at}: below minimum`);
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf) problems.push(...schemaProblems(doc, s as Schema, value, at));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (!Array.isArray(options)) continue;
    const fits = options.filter((s) => schemaProblems(doc, s as Schema, value, at).length === 0).length;
    if (key === 'anyOf' ? fits === 0 : fits !== 1) problems.push(`${at}: fits ${fits} of the ${key} options`);
  }
  if (t === 'object' && (schema.properties || schema.additionalProperties !== undefined)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) problems.push(`${at}.${r}: required, missing`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) problems.push(...schemaProblems(doc, props[k], v, `${at}.${k}`));
      else if (schema.additionalProperties === false || schema.additionalProperties === undefined) problems.push(`${at}.${k}: not in the schema`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...schemaProblems(doc, schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  if (t === 'array') {
    const arr = value as unknown[];
    if (typeof schema.maxItems === 'number' && arr.length > schema.maxItems) problems.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.items) arr.forEach((v, i) => problems.push(...schemaProblems(doc, schema.items as Schema, v, `${at}[${i}]`)));
  }
  return problems;
}
