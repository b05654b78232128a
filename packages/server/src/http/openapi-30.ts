import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The served document is OpenAPI 3.0.3: the version Swagger UI and the client generators (openapi-generator, NSwag,
 * openapi-typescript, orval) all handle fully, where 3.1 support is still partial in several of them. A schema written
 * in JSON Schema 2020-12 terms (what OpenAPI 3.1 uses: zod's default output, a few hand-written schemas) is rewritten
 * here into a 3.0 Schema Object, so that no route can put a 3.1-only keyword in the document.
 */
export const OPENAPI_VERSION = '3.0.3';

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNull = (value: unknown) => isSchema(value) && value.type === 'null' && Object.keys(value).length === 1;
/** A 3.0 branch that takes only null (in an anyOf whose other branches cannot carry `nullable` themselves). */
const NULL_ONLY = { type: 'string', nullable: true, enum: [null] };

/**
 * `schema` as an OpenAPI 3.0 Schema Object: `type: [T, 'null']` and `anyOf: [X, {type: 'null'}]` as `nullable: true`
 * (on a schema that names its type, as 3.0.3 requires), `const` as a one-value `enum`, a numeric `exclusiveMinimum` /
 * `exclusiveMaximum` as `minimum` / `maximum` with the boolean flag, `examples` as `example`; `$schema` dropped.
 */
export function toOpenApi30(schema: unknown): unknown {
  if (!isSchema(schema)) return schema;
  const { $schema: _dialect, const: constant, examples, ...rest } = schema;
  let out: Schema = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, nested(key, value)]));
  if (constant !== undefined) out.enum = [constant];
  if (Array.isArray(examples) && examples.length) out.example = examples[0];
  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[bound] === 'number') {
      out[limit] = out[bound];
      out[bound] = true;
    }
  }
  if (Array.isArray(out.type)) {
    const types = (out.type as string[]).filter((type) => type !== 'null');
    if (types.length !== 1) {
      throw new Error(`[ufs] OpenAPI 3.0 has no schema of several types: ${JSON.stringify(out.type)}`);
    }
    out = { ...out, type: types[0], ...(types.length < out.type.length && { nullable: true }) };
  }
  for (const union of ['anyOf', 'oneOf'] as const) {
    const branches = out[union];
    if (!Array.isArray(branches) || !branches.some(isNull)) continue;
    const others = branches.filter((branch) => !isNull(branch)) as Schema[];
    const [only] = others;
    if (others.length === 1 && only && typeof only.type === 'string' && only.$ref === undefined) {
      const { [union]: _union, ...own } = out;
      out = { ...only, ...own, nullable: true };
    } else {
      out[union] = [...others, NULL_ONLY];
    }
  }
  return out;
}

/** The keywords whose values are schemas (one, a list, or a map of them). */
function nested(key: string, value: unknown): unknown {
  if (['items', 'not', 'additionalProperties'].includes(key)) return toOpenApi30(value);
  if (['allOf', 'anyOf', 'oneOf'].includes(key) && Array.isArray(value)) return value.map(toOpenApi30);
  if (key === 'properties' && isSchema(value)) {
    return Object.fromEntries(Object.entries(value).map(([name, property]) => [name, toOpenApi30(property)]));
  }
  return value;
}

type Described = {
  schema?: unknown;
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, Described>;
};

/** Every schema of `document` (components, parameters, bodies, answers and their headers) made a 3.0 one. */
export function documentToOpenApi30(document: OpenAPIObject): void {
  document.openapi = OPENAPI_VERSION;
  const schemas = document.components?.schemas ?? {};
  for (const name of Object.keys(schemas)) schemas[name] = toOpenApi30(schemas[name]) as never;
  const fix = (item: Described | undefined) => {
    if (!item) return;
    if (item.schema !== undefined) item.schema = toOpenApi30(item.schema);
    for (const media of Object.values(item.content ?? {})) {
      if (media.schema !== undefined) media.schema = toOpenApi30(media.schema);
    }
    for (const header of Object.values(item.headers ?? {})) fix(header);
  };
  for (const path of Object.values(document.paths)) {
    for (const value of Object.values(path)) {
      if (!isSchema(value) || !isSchema(value.responses)) continue;
      const operation = value as {
        parameters?: Described[];
        requestBody?: Described;
        responses: Record<string, Described>;
      };
      for (const parameter of operation.parameters ?? []) fix(parameter);
      fix(operation.requestBody);
      for (const response of Object.values(operation.responses)) fix(response);
    }
  }
}
