import { isScalar, isSeq, parseDocument, visit, type Scalar } from 'yaml';

/**
 * Parses the YAML text of a config file as its author meant it. Mapping keys (mount names, provider ids under
 * `providerOptions`) and the entries of a `providers` list are names, so a plain word that YAML reads as a number or
 * a boolean keeps the text as written: `0x0` stays "0x0" (not 0), `007` stays "007", `1e3` stays "1e3". Quoted
 * values and every other value are read as YAML reads them. Throws the first syntax error.
 */
export function parseYamlConfig(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0]!;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key)) keepText(pair.key);
      if (!isScalar(pair.key) || pair.key.value !== 'providers') return;
      if (isSeq(pair.value)) for (const item of pair.value.items) if (isScalar(item)) keepText(item);
      if (isScalar(pair.value)) keepText(pair.value);
    },
  });
  return doc.toJS();
}

function keepText(node: Scalar): void {
  if ((typeof node.value === 'number' || typeof node.value === 'boolean') && typeof node.source === 'string')
    node.value = node.source;
}
