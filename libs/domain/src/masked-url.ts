/**
 * A photo's URL as anyone may read it: without a user name or password (refused at intake since;
 * older cases may hold them) and with contacts masked. Apps upload under the citizen's number or
 * address ("/u/0912345678/anh1.jpg"): a masked path may no longer lead to the photo, which is better
 * than listing the number to anyone who asks.
 *
 * Contacts are looked for in what each part says once its percent-escapes are read: "an%40gmail.com",
 * "0912%20345%20678" or "Nguy%E1%BB%85n%20V%C4%83n%20An" were published as they came, the masks not
 * seeing through the escapes. A part whose text changes is escaped again, so the answer stays a URL
 * ("Nguyễn V. A." in a path was published with its spaces); a part that names nobody is left as written.
 */
export function publicMediaUrl(url: string | null, mask: (text: string) => string | null): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  parsed.username = '';
  parsed.password = '';
  const masked = (text: string) => mask(text) ?? text;

  const segments = parsed.pathname.split('/');
  const pathSegments = segments.map((s) => {
    const read = decoded(s);
    const m = masked(read);
    return m === read ? s : pathSegment(m);
  });
  if (pathSegments.some((s, i) => s !== segments[i])) parsed.pathname = pathSegments.join('/');

  if (parsed.search) {
    const params = [...parsed.searchParams];
    const maskedParams = params.map(([k, v]): [string, string] => [masked(k), masked(v)]);
    if (maskedParams.some(([k, v], i) => k !== params[i][0] || v !== params[i][1])) parsed.search = new URLSearchParams(maskedParams).toString();
  }

  if (parsed.hash) {
    const read = decoded(parsed.hash.slice(1));
    const m = masked(read);
    if (m !== read) parsed.hash = encodeURIComponent(m);
  }

  // The host, and whatever the parts above leave: the whole text once more, read back as a URL.
  try {
    return new URL(masked(parsed.toString())).toString();
  } catch {
    return null;
  }
}

/** A path segment escaped where it must be: "@", ":" and the sub-delimiters stay as they are in a path. */
function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (e) => decodeURIComponent(e));
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
