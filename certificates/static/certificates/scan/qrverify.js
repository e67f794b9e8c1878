/*
 * 黔技通 scanner: checks a certificate QR in the browser, exactly as
 * certificates/signing.py (verify_qr_text, check_signed) does on the server, and reads
 * the signed revocation list (certificates/status_list.py). No network use here.
 *
 * QR text: <verification URL ending /verify/<token>/>?s=<kid>.<b64url(payload)>.<b64url(sig)>
 * Signature: Ed25519 over the ASCII bytes "<kid>.<b64url(payload)>".
 * Payload (UTF-8, "|"): 1|token|number|kind|occupation|level|issued|expires|holder
 *                       2|…same…|issuer|status_index
 */
(function (root) {
  "use strict";

  var MAX_SIGNED_LENGTH = 1024;
  var MAX_QR_TEXT_LENGTH = 4096;
  var MAX_QUERY_FIELDS = 20;
  var SIGNATURE_BYTES = 64;
  var KEY_BYTES = 32;
  var QR_PARAM = "s";
  var KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
  var TOKEN_RE = /^[A-Za-z0-9_-]{1,128}$/;
  var B64URL_RE = /^[A-Za-z0-9_-]*$/;
  var DATE_RE = /^\d{8}$/;
  var INDEX_RE = /^(0|[1-9][0-9]{0,17})$/;
  var VERIFY_PATH_RE = /\/verify\/([^/]*)\/?$/;
  var FIELD_COUNTS = { "1": 9, "2": 11 };
  var LIST_FORMAT = "qjt-revocations/1";

  // The server's words (signing.py), kept identical so both sides say the same.
  var GENUINE = "签名有效";
  var TAMPERED = "签名无效：内容被篡改";
  var UNKNOWN_KEY = "未知的签名密钥";
  var MALFORMED = "格式错误";
  var PATH_MISMATCH = "签名有效，但与网址中的证书不符";

  function refused(verdict, reason, kid) {
    return { genuine: false, verdict: verdict, reason: reason, kid: kid || "", payload: null };
  }

  // --- encoding -------------------------------------------------------------------------

  function unb64url(text) {
    if (typeof text !== "string" || !B64URL_RE.test(text) || text.length % 4 === 1) {
      return null;
    }
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary;
    try {
      binary = atob(b64);
    } catch (e) {
      return null;
    }
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function unb64(text) {
    try {
      var binary = atob(text);
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return bytes;
    } catch (e) {
      return null;
    }
  }

  function ascii(text) {
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0x7f;
    return bytes;
  }

  function utf8(bytes) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      return null;
    }
  }

  function parseDate(text) {
    if (!DATE_RE.test(text)) return undefined;
    var y = +text.slice(0, 4), m = +text.slice(4, 6), d = +text.slice(6, 8);
    var date = new Date(Date.UTC(y, m - 1, d));
    date.setUTCFullYear(y);
    if (y < 1 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
    return text.slice(0, 4) + "-" + text.slice(4, 6) + "-" + text.slice(6, 8);
  }

  function decodePayload(bytes) {
    var text = utf8(bytes);
    if (text === null) return null;
    var fields = text.split("|");
    var version = fields[0];
    if (!Object.prototype.hasOwnProperty.call(FIELD_COUNTS, version) ||
        FIELD_COUNTS[version] !== fields.length) {
      return null;
    }
    var issuer = "", statusIndex = null;
    if (version === "2") {
      issuer = fields[9];
      if (!INDEX_RE.test(fields[10])) return null;
      statusIndex = Number(fields[10]);
    }
    var issuedOn = parseDate(fields[6]);
    var expiresOn = fields[7] ? parseDate(fields[7]) : null;
    if (issuedOn === undefined || expiresOn === undefined) return null;
    return {
      version: version,
      token: fields[1],
      number: fields[2],
      kind: fields[3],
      occupationCode: fields[4],
      level: fields[5],
      issuedOn: issuedOn,
      expiresOn: expiresOn,
      holder: fields[8],
      issuer: issuer,
      statusIndex: statusIndex
    };
  }

  // --- keys -----------------------------------------------------------------------------

  /* The published keys document → {kid: {key: CryptoKey, retired: bool}, active}. */
  async function importKeys(doc) {
    var ring = {};
    if (!doc || typeof doc.keys !== "object" || doc.algorithm !== "Ed25519") {
      throw new Error("bad keys document");
    }
    var retired = Array.isArray(doc.retired) ? doc.retired : [];
    var kids = Object.keys(doc.keys);
    for (var i = 0; i < kids.length; i++) {
      var kid = kids[i];
      var raw = unb64(doc.keys[kid]);
      if (!KEY_ID_RE.test(kid) || !raw || raw.length !== KEY_BYTES) continue;
      var key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
      ring[kid] = { key: key, retired: retired.indexOf(kid) !== -1 };
    }
    return { ring: ring, active: doc.active };
  }

  async function ed25519Verify(entry, signature, data) {
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, entry.key, signature, data);
    } catch (e) {
      return false;
    }
  }

  // --- the QR ---------------------------------------------------------------------------

  /* signing.check_signed: the signed value against the token in the URL path. */
  async function checkSigned(token, signed, keys) {
    if (typeof token !== "string" || typeof signed !== "string") {
      return refused("malformed", MALFORMED);
    }
    if (signed.length > MAX_SIGNED_LENGTH) return refused("malformed", MALFORMED + "：签名参数过长");
    var parts = signed.split(".");
    if (parts.length !== 3) return refused("malformed", MALFORMED + "：签名参数应为三段");
    var kid = parts[0], payloadB64 = parts[1], signatureB64 = parts[2];
    if (!KEY_ID_RE.test(kid)) return refused("malformed", MALFORMED + "：密钥编号无效");
    var entry = Object.prototype.hasOwnProperty.call(keys.ring, kid) ? keys.ring[kid] : null;
    if (!entry) return refused("unknown_key", UNKNOWN_KEY, kid);
    var payloadBytes = unb64url(payloadB64);
    var signature = unb64url(signatureB64);
    if (!payloadBytes || !payloadBytes.length || signature === null ||
        signature.length !== SIGNATURE_BYTES) {
      return refused("malformed", MALFORMED + "：内容或签名无法解码", kid);
    }
    var ok = await ed25519Verify(entry, signature, ascii(kid + "." + payloadB64));
    if (!ok) return refused("tampered", TAMPERED, kid);
    var payload = decodePayload(payloadBytes);
    if (payload === null) return refused("malformed", MALFORMED + "：签名有效但内容无法识别", kid);
    if (payload.token !== token) return refused("mismatch", PATH_MISMATCH, kid);
    return {
      genuine: true, verdict: "genuine", reason: GENUINE, kid: kid,
      retiredKey: entry.retired, payload: payload, token: token, signed: signed
    };
  }

  // Python's urllib.parse.urlsplit, as far as a QR text needs it.
  function urlsplit(text) {
    text = text.replace(/[\t\r\n]/g, "");
    var rest = text, netloc = "";
    var scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
    if (scheme) rest = rest.slice(scheme[0].length);
    if (rest.slice(0, 2) === "//") {
      var end = rest.slice(2).search(/[/?#]/);
      netloc = end === -1 ? rest.slice(2) : rest.slice(2, 2 + end);
      rest = end === -1 ? "" : rest.slice(2 + end);
      if ((netloc.indexOf("[") !== -1) !== (netloc.indexOf("]") !== -1)) {
        throw new Error("Invalid IPv6 URL");
      }
    }
    var hash = rest.indexOf("#");
    if (hash !== -1) rest = rest.slice(0, hash);
    var q = rest.indexOf("?");
    return { netloc: netloc, path: q === -1 ? rest : rest.slice(0, q), query: q === -1 ? "" : rest.slice(q + 1) };
  }

  function unquote(text) {
    text = text.replace(/\+/g, " ");
    return text.replace(/(%[0-9A-Fa-f]{2})+/g, function (run) {
      try {
        return decodeURIComponent(run);
      } catch (e) {
        return run;
      }
    });
  }

  // parse_qs(query, keep_blank_values=True, max_num_fields=20)
  function parseQs(query) {
    if (1 + (query.split("&").length - 1) > MAX_QUERY_FIELDS) throw new Error("Max number of fields exceeded");
    var result = {};
    query.split("&").forEach(function (piece) {
      if (!piece) return;
      var at = piece.indexOf("=");
      var name = at === -1 ? piece : piece.slice(0, at);
      var value = at === -1 ? "" : piece.slice(at + 1);
      name = unquote(name);
      (result[name] = result[name] || []).push(unquote(value));
    });
    return result;
  }

  /* signing.verify_qr_text: a whole scanned text; never throws on bad input. */
  async function verifyQrText(text, keys) {
    if (typeof text !== "string" || !text.trim()) return refused("foreign", MALFORMED + "：内容为空");
    text = text.trim();
    if (text.length > MAX_QR_TEXT_LENGTH) return refused("malformed", MALFORMED + "：内容过长");
    var parts, query;
    try {
      parts = urlsplit(text);
      query = parseQs(parts.query);
    } catch (e) {
      return refused("foreign", MALFORMED + "：不是有效的网址");
    }
    var match = VERIFY_PATH_RE.exec(parts.path);
    if (!match || !TOKEN_RE.test(match[1])) {
      return refused("foreign", MALFORMED + "：网址中没有证书验证码");
    }
    var values = Object.prototype.hasOwnProperty.call(query, QR_PARAM) ? query[QR_PARAM] : [];
    if (values.length !== 1) return refused("foreign", MALFORMED + "：缺少签名参数 " + QR_PARAM);
    return checkSigned(match[1], values[0], keys);
  }

  // --- the revocation list --------------------------------------------------------------

  async function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  /* status_list.check_revocation_document + decoding: {ok, list|null, reason}. */
  async function readRevocationList(doc, keys) {
    if (!doc || doc.format !== LIST_FORMAT || typeof doc.signed !== "string" ||
        typeof doc.signature !== "string" || typeof doc.kid !== "string") {
      return { ok: false, list: null, reason: "format" };
    }
    var entry = Object.prototype.hasOwnProperty.call(keys.ring, doc.kid) ? keys.ring[doc.kid] : null;
    if (!entry) return { ok: false, list: null, reason: "unknown_key" };
    var signature = unb64url(doc.signature);
    var signedBytes = unb64url(doc.signed);
    if (!signature || signature.length !== SIGNATURE_BYTES || !signedBytes) {
      return { ok: false, list: null, reason: "format" };
    }
    if (!(await ed25519Verify(entry, signature, ascii(doc.signed)))) {
      return { ok: false, list: null, reason: "signature" };
    }
    try {
      var body = JSON.parse(utf8(signedBytes));
      var issuedAt = Date.parse(body.issued_at);
      if (isNaN(issuedAt) || typeof body.ttl_seconds !== "number") throw new Error("dates");
      var bits = await gunzip(unb64url(body.encodedList));
      var lines = utf8(await gunzip(unb64url(body.entries))) || "";
      var dates = {};
      var index = 0, first = true;
      lines.split("\n").forEach(function (line) {
        if (!line.trim()) return;
        var f = line.trim().split(",");
        index = first ? Number(f[0]) : index + Number(f[0]);
        first = false;
        dates[index] = { date: parseDate(f[1]) || null, kind: f[2] === "S" ? "S" : "R" };
      });
      return {
        ok: true,
        reason: "",
        list: {
          issuedAt: new Date(issuedAt),
          ttlSeconds: body.ttl_seconds,
          size: Number(body.size) || bits.length * 8,
          bits: bits,
          dates: dates
        }
      };
    } catch (e) {
      return { ok: false, list: null, reason: "format" };
    }
  }

  /* status_list.status_of: null, or {date, kind: "R"|"S"} when the slot is set. */
  function statusOf(list, index) {
    if (!list || index === null || index === undefined || index < 0 || index >= list.size) return null;
    var byte = list.bits[Math.floor(index / 8)];
    if (byte === undefined || !((byte >> (7 - (index % 8))) & 1)) return null;
    return list.dates[index] || { date: null, kind: "R" };
  }

  function isStale(list, now) {
    return (now || new Date()).getTime() > list.issuedAt.getTime() + list.ttlSeconds * 1000;
  }

  root.QJTVerify = {
    importKeys: importKeys,
    verifyQrText: verifyQrText,
    checkSigned: checkSigned,
    decodePayload: decodePayload,
    readRevocationList: readRevocationList,
    statusOf: statusOf,
    isStale: isStale,
    unb64url: unb64url
  };
})(self);
