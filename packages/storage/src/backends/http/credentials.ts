/**
 * The user name and password a base URL may hold (`https://alice:s3cret@host/files/`), as curl and rclone take
 * them: percent-decoded, sent as HTTP Basic auth, and never part of a URL that is requested or shown (fetch refuses
 * such URLs, and they would print the password).
 */
export interface BaseCredentials {
  /** The URL without its user info. */
  url: URL;
  /** `Basic <base64 of user:password>` when the URL held a user name or a password. */
  authorization?: string;
}

/** A problem with the user info of a base URL: the option it is about (`["headers", "Authorization"]`) and why. */
export interface CredentialsProblem {
  path: [string] | [string, string];
  message: string;
}

/**
 * What is wrong with the user info of `baseUrl`, or with giving it beside an `Authorization` header in `headers`;
 * undefined when nothing is. Messages never hold the user name or the password.
 */
export function credentialsProblem(baseUrl: string, headers: Record<string, string>): CredentialsProblem | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined; // not a URL: the schema says so
  }
  if (url.username === '' && url.password === '') return undefined;
  const user = decoded(url.username);
  const password = decoded(url.password);
  if (user === undefined || password === undefined) {
    const part = user === undefined ? 'user name' : 'password';
    return { path: ['baseUrl'], message: `the ${part} in the URL is not valid percent-encoded UTF-8` };
  }
  if (user.includes(':')) {
    return {
      path: ['baseUrl'],
      message: 'the user name in the URL holds a ":" (%3A), which HTTP Basic auth cannot carry',
    };
  }
  const header = Object.keys(headers).find((name) => name.toLowerCase() === 'authorization');
  if (header !== undefined) {
    return {
      path: ['headers', header],
      message:
        'conflicts with the user name and password in the URL (baseUrl), which are sent as HTTP Basic auth: ' +
        'give the credentials one way only',
    };
  }
  return undefined;
}

/**
 * Splits the user info off a base URL: the URL without it, and the `Authorization: Basic` value it stands for.
 * Call `credentialsProblem` first: a malformed escape is taken as written here.
 */
export function baseCredentials(raw: string): BaseCredentials {
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { url };
  const user = decoded(url.username) ?? url.username;
  const password = decoded(url.password) ?? url.password;
  url.username = '';
  url.password = '';
  // RFC 7617: user-id ":" password, in UTF-8, base64.
  return { url, authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
