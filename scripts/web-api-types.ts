// Writes web/src/api-types.ts: per operation of the hub's OpenAPI document, its path parameters, query, body and
// answer as TypeScript types (json-schema-to-typescript), which web/src/api.ts types its calls with.
// Run: node --import tsx scripts/web-api-types.ts   (test/web/api-types.test.ts fails when the file is stale)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';
import { build } from '../src/hub/app.ts';
import { openMetadataDb } from '../src/hub/db/index.ts';
import { FsBlobStore } from '../src/store/index.ts';

type Schema = Record<string, unknown>;
interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export const API_TYPES_FILE = path.resolve(import.meta.dirname, '../web/src/api-types.ts');
const PREFIX = '/api/v1';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const UNKNOWN = { tsType: 'unknown' };
const NEVER = { tsType: 'never' };

/** The hub's OpenAPI document, from a hub built in memory on an empty database. */
export async function openapiDocument(): Promise<{ paths: Record<string, Record<string, Operation>> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'skiff-openapi-'));
  try {
    const db = await openMetadataDb({ dataDir: dir });
    const app = await build({ db, blobs: new FsBlobStore(path.join(dir, 'store')), alerts: { everyMs: 0 }, logs: { retentionEveryMs: 0 } });
    try {
      await app.ready();
      return JSON.parse(JSON.stringify(app.swagger())) as { paths: Record<string, Record<string, Operation>> };
    } finally {
      await app.close();
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** OpenAPI 3.0's `nullable` back into JSON Schema's null type, which json-schema-to-typescript reads. */
function fromOpenapi(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(fromOpenapi);
  if (typeof s !== 'object' || s === null) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) if (k !== 'nullable' && k !== 'description' && k !== 'pattern') out[k] = fromOpenapi(v);
  const o = s as Schema;
  const nullable = (t: string) => ({ tsType: o.nullable === true ? `${t} | null` : t });
  // An object with nothing in it (the body of a change with no fields) or anything in it: `{}` would mean any value.
  if (o.type === 'object' && o.additionalProperties === false && Object.keys((o.properties as Schema | undefined) ?? {}).length === 0) return nullable('Record<string, never>');
  if (o.type === 'object' && o.properties === undefined && (o.additionalProperties === undefined || o.additionalProperties === true)) return nullable('Record<string, unknown>');
  if (o.nullable !== true) return out;
  if (Array.isArray(o.enum) && o.enum.length === 1 && o.enum[0] === null) return { type: 'null' };
  const { enum: values, ...rest } = out;
  return { anyOf: [values === undefined ? rest : { ...rest, enum: values }, { type: 'null' }] };
}

function paramsSchema(op: Operation, where: 'path' | 'query'): Schema {
  const ps = (op.parameters ?? []).filter((p) => p.in === where);
  if (ps.length === 0) return where === 'path' ? { tsType: 'Record<string, never>' } : NEVER;
  return { type: 'object', additionalProperties: false, required: ps.filter((p) => p.required).map((p) => p.name), properties: Object.fromEntries(ps.map((p) => [p.name, fromOpenapi(p.schema)])) };
}

function responseSchema(op: Operation): Schema {
  const ok = Object.entries(op.responses ?? {}).find(([status]) => /^2\d\d$/.test(status));
  const schema = ok?.[1].content?.['application/json']?.schema;
  return schema ? (fromOpenapi(schema) as Schema) : UNKNOWN;
}

/** The source of web/src/api-types.ts. */
export async function apiTypesSource(): Promise<string> {
  const doc = await openapiDocument();
  const properties: Record<string, Schema> = {};
  for (const [url, ops] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    if (!url.startsWith(PREFIX)) continue;
    const route = url.slice(PREFIX.length).replace(/\{(\w+)\}/g, ':$1');
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      const body = op.requestBody?.content?.['application/json']?.schema;
      properties[`${method.toUpperCase()} ${route}`] = {
        type: 'object',
        additionalProperties: false,
        required: ['params', 'query', 'body', 'response'],
        properties: { params: paramsSchema(op, 'path'), query: paramsSchema(op, 'query'), body: body ? fromOpenapi(body) : NEVER, response: responseSchema(op) },
      };
    }
  }
  const schema = { title: 'Operations', type: 'object', additionalProperties: false, required: Object.keys(properties), properties };
  const banner = '// Generated from the hub\'s OpenAPI document by scripts/web-api-types.ts: do not edit; run\n// `node --import tsx scripts/web-api-types.ts` after changing a route\'s schema.\n';
  return compile(schema as Parameters<typeof compile>[0], 'Operations', { bannerComment: banner, additionalProperties: false, strictIndexSignatures: true, format: true, unknownAny: true, ignoreMinAndMaxItems: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await writeFile(API_TYPES_FILE, await apiTypesSource());
  console.log(`wrote ${path.relative(process.cwd(), API_TYPES_FILE)}`);
}
