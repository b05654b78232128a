import { UfsError } from '@org/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** Could the text hold a `__proto__` or `constructor` key, possibly written with \u escapes? Cheap pre-check. */
const SUSPECT =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)|"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)/;

/** The first key of `value` (at any depth) that could change an object's prototype when merged, else undefined. */
function forbiddenKey(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return '__proto__';
    const ctor = Object.prototype.hasOwnProperty.call(node, 'constructor')
      ? (node as { constructor: unknown }).constructor
      : undefined;
    if (ctor !== null && typeof ctor === 'object' && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) {
      return 'constructor.prototype';
    }
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') pending.push(child);
  }
  return undefined;
}

/** Deepest nesting of arrays and objects a JSON request body may have (the API's bodies need about 4). */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests arrays and objects deeper than `limit`: one linear pass that counts brackets outside strings,
 * before JSON.parse builds anything (a body of millions of nested arrays held the event loop for seconds). Malformed
 * text is left for JSON.parse to refuse.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses a JSON request body as Fastify's own parser does (a `__proto__` or `constructor.prototype` key is refused),
 * but says what is wrong: an empty body, malformed JSON, a body nested deeper than MAX_JSON_DEPTH (refused before it
 * is parsed), or a key that is not allowed (Fastify reported the last as "not valid JSON").
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) {
    throw new UfsError('INVALID_INPUT', '[ufs] request body is empty but Content-Type is application/json');
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] the JSON body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels (the limit)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UfsError('INVALID_INPUT', '[ufs] request body is not valid JSON');
  }
  const key = SUSPECT.test(text) ? forbiddenKey(value) : undefined;
  if (key !== undefined) {
    throw new UfsError('INVALID_INPUT', `[ufs] the key "${key}" is not allowed in a JSON body`);
  }
  return value;
}

/**
 * Makes parseJsonBody the app's `application/json` parser (Fastify's body limit applies). Registered through Nest's
 * `useBodyParser`, which records the type, so Nest does not add its default parser for it at init.
 */
export function useJsonBodyParser(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const { bodyLimit } = fastify.initialConfig;
  app.useBodyParser('application/json', { bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
