/**
 * Text a service sent (an error answer's body, an answer without a URL), made safe to show: control characters are
 * escaped as `JSON.stringify` writes them (`\n`, `\u001b`), as the CLI shows file names, so a terminal escape in an
 * answer is not run; a body that is not text is summarised, not dumped.
 */

// C0 controls, DEL and C1 controls (0x9b is a one-byte CSI on some terminals).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

/** `text` with each control character written as its escape (`\n`, `\u001b`). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Whether a body is binary rather than text: it holds a NUL byte, is not valid UTF-8 (a sequence cut at the end
 * does not count: bodies are read up to a limit), or is mostly control characters.
 */
export function isBinary(body: Uint8Array): boolean {
  if (body.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body, { stream: true });
  } catch {
    return true;
  }
  let controls = 0;
  for (const byte of body)
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) controls++;
  return controls > body.byteLength / 4;
}

/** Whether text already decoded was binary: it holds NUL or U+FFFD (what bytes that are not UTF-8 turn into). */
export function isBinaryText(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000\ufffd]/.test(text);
}

/**
 * A short, safe excerpt of a service's answer, for error messages: whitespace collapsed, control characters escaped,
 * at most `max` characters. A binary body is summarised: "(N bytes of binary)" from its bytes ("at least" when it was
 * `truncated` by a read limit); from text already decoded (NUL or U+FFFD, what binary turns into), "(binary data)".
 */
export function excerpt(body: string | Uint8Array, max = 200, truncated = false): string {
  let text: string;
  if (typeof body === 'string') {
    if (isBinaryText(body)) return '(binary data)';
    text = body;
  } else {
    if (isBinary(body)) {
      const n = body.byteLength;
      return `(${truncated ? 'at least ' : ''}${n} byte${n === 1 ? '' : 's'} of binary)`;
    }
    // A character cut by a read limit is left out (`stream`), not shown as U+FFFD.
    text = new TextDecoder('utf-8').decode(body, { stream: true });
  }
  const flat = text.replace(/\s+/g, ' ').trim();
  return escapeControl(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}
