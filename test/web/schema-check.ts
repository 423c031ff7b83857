// Checks a value against the JSON Schema subset the documented answers use (type, required, properties,
// additionalProperties, items, anyOf, allOf, enum): each place where they differ, one line.
type Schema = Record<string, unknown>;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

export function schemaViolations(schema: Schema, value: unknown, at = '$'): string[] {
  if (Array.isArray(schema.anyOf)) {
    const each = (schema.anyOf as Schema[]).map((s) => schemaViolations(s, value, at));
    return each.some((e) => e.length === 0) ? [] : [`${at}: matches none of anyOf (${each.map((e) => e[0]).join(' | ')})`];
  }
  if (Array.isArray(schema.allOf)) return (schema.allOf as Schema[]).flatMap((s) => schemaViolations(s, value, at));
  const t = typeOf(value);
  if (typeof schema.type === 'string' && schema.type !== t && !(schema.type === 'number' && t === 'integer')) return [`${at}: is ${t}, documented ${schema.type}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const out: string[] = [];
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const k of (schema.required ?? []) as string[]) if (!(k in obj)) out.push(`${at}.${k}: missing`);
    for (const [k, v] of Object.entries(obj)) {
      const s = props[k] ?? (typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : undefined);
      if (s) out.push(...schemaViolations(s, v, `${at}.${k}`));
    }
  }
  if (t === 'array' && schema.items) (value as unknown[]).forEach((v, i) => out.push(...schemaViolations(schema.items as Schema, v, `${at}[${i}]`)));
  return out;
}
