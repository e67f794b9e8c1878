/*
 * 黔技通 scanner page (/verify/scan/): camera or photo → QR text → signature checked here
 * (qrverify.js) → facts shown at once → live status from the API when online, else the
 * signed revocation list kept by the service worker. Spot-check mode (抽查) keeps a list
 * that exports to CSV and XLSX and, for a signed-in auditor, saves as a 核查记录.
 * No inline script or style: the strict CSP stays.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("scan-config").textContent);
  var M = config.messages;
  var REPEAT_MS = 5000; // the same QR seen again within this time is the same scan
  var SCAN_EVERY_MS = 150;

  var state = {
    keys: null,
    keysError: false,
    list: null, // the decoded revocation list
    listProblem: "",
    occupations: {},
    me: { can_save: false, csrf_token: "" },
    entries: [],
    lastSeen: {},
    current: null,
    stream: null,
    timer: null,
    nextId: 1
  };

  function $(id) { return document.getElementById(id); }

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined && values[name] !== null ? values[name] : all;
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function dateTime(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function clock(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function online() { return navigator.onLine !== false; }

  // --- documents: keys, revocation list, occupation names, who I am ---------------------

  function getJson(url) {
    return fetch(url, { cache: "no-cache", credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }

  function loadKeys() {
    return getJson(config.keys_url).then(QJTVerify.importKeys).then(function (keys) {
      state.keys = keys;
      state.keysError = false;
    }).catch(function () {
      if (!state.keys) state.keysError = true;
    });
  }

  function loadList() {
    if (!state.keys) return Promise.resolve();
    return getJson(config.revocations_url).then(function (doc) {
      return QJTVerify.readRevocationList(doc, state.keys);
    }).then(function (read) {
      if (read.ok) {
        // Never step back to an older list than the one held.
        if (!state.list || read.list.issuedAt >= state.list.issuedAt) state.list = read.list;
        state.listProblem = "";
      } else if (!state.list) {
        state.listProblem = "list_bad";
      }
    }).catch(function () {
      if (!state.list) state.listProblem = "list_missing";
    }).then(showListState);
  }

  function loadOccupations() {
    return getJson(config.occupations_url).then(function (names) {
      state.occupations = names || {};
    }).catch(function () {});
  }

  function loadMe() {
    if (!online()) return Promise.resolve();
    return getJson(config.me_url).then(function (me) {
      state.me = me;
      $("scan-save").hidden = !me.can_save;
    }).catch(function () {});
  }

  function showNetwork() {
    var node = $("scan-network");
    node.textContent = online() ? M.online : M.offline;
    node.setAttribute("data-online", online() ? "yes" : "no");
  }

  function showListState() {
    var node = $("scan-list-state");
    if (state.list) {
      var text = fmt(M.list_as_of, { when: dateTime(state.list.issuedAt) });
      var stale = QJTVerify.isStale(state.list);
      if (stale) text += " · " + M.list_stale;
      node.textContent = text;
      node.setAttribute("data-list", stale ? "stale" : "fresh");
    } else {
      node.textContent = state.listProblem ? M[state.listProblem] : "";
      node.setAttribute("data-list", state.listProblem ? "missing" : "loading");
    }
  }

  // --- one scan -------------------------------------------------------------------------

  function handleText(text) {
    var now = Date.now();
    var seen = state.lastSeen[text];
    state.lastSeen[text] = now;
    if (seen !== undefined && now - seen < REPEAT_MS) return Promise.resolve(null);
    if (!state.keys) {
      $("scan-camera-state").textContent = M.keys_missing;
      return Promise.resolve(null);
    }
    return QJTVerify.verifyQrText(text, state.keys).then(function (check) {
      var entry = {
        id: state.nextId++, text: text, scannedAt: new Date(), check: check,
        live: null, liveAt: null, pending: false
      };
      if ($("scan-spot").checked) {
        state.entries.push(entry);
      }
      state.current = entry;
      refresh(entry);
      if (check.genuine) return lookUp(entry);
      return null;
    });
  }

  /* The live status from the API; offline (or no answer) the entry waits for the network. */
  function lookUp(entry) {
    if (!online()) {
      entry.pending = true;
      refresh(entry);
      return Promise.resolve();
    }
    var url = config.api_url + encodeURIComponent(entry.check.token) + "?" +
      config.param + "=" + encodeURIComponent(entry.check.signed);
    return fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      if (r.status === 200 || r.status === 404) {
        return r.json().then(function (body) {
          entry.live = r.status === 200 ? body : { status: "not_found" };
          entry.liveAt = new Date();
          entry.pending = false;
        });
      }
      entry.pending = true; // 429 or a server error: try again when asked
    }).catch(function () {
      entry.pending = true;
    }).then(function () { refresh(entry); });
  }

  function recheck() {
    showNetwork();
    if (!online()) return;
    loadKeys().then(loadList).then(loadMe).then(function () {
      var waiting = state.entries.filter(function (e) { return e.pending; });
      if (state.current && state.current.pending && waiting.indexOf(state.current) === -1) {
        waiting.push(state.current);
      }
      return waiting.reduce(function (p, entry) {
        return p.then(function () { return lookUp(entry); });
      }, Promise.resolve());
    });
  }

  // --- what a scan says -----------------------------------------------------------------

  /* {status, checks: [{name, result: passed|warned|failed, text}]} for a genuine QR. */
  function assess(entry) {
    var p = entry.check.payload, live = entry.live, checks = [], status;
    checks.push({ name: "signature", label: M.check_signature, result: "passed", text: M.genuine });
    checks.push({
      name: "key", label: M.check_key, result: "passed",
      text: fmt(entry.check.retiredKey ? M.key_retired : M.key_active, { kid: entry.check.kid })
    });

    var revocation;
    if (live) {
      status = live.status;
      if (live.status === "revoked") {
        revocation = { result: "failed", text: live.revoked_reason ?
          fmt(M.revoked_reason, { date: live.revoked_on, reason: live.revoked_reason }) :
          fmt(M.revoked_on, { date: live.revoked_on }) };
      } else if (live.status === "superseded") {
        revocation = { result: "failed", text: live.superseded_by_number ?
          fmt(M.superseded_by, { number: live.superseded_by_number }) : M.status_superseded };
      } else if (live.status === "not_found") {
        revocation = { result: "failed", text: M.not_found };
      } else {
        revocation = { result: "passed", text: fmt(M.not_revoked_live, { when: dateTime(entry.liveAt) }) };
      }
    } else if (state.list && p.statusIndex !== null) {
      var hit = QJTVerify.statusOf(state.list, p.statusIndex);
      var stale = QJTVerify.isStale(state.list);
      if (hit) {
        status = hit.kind === "S" ? "superseded" : "revoked";
        revocation = { result: "failed",
          text: fmt(hit.kind === "S" ? M.superseded_on : M.revoked_on, { date: hit.date || "—" }) };
      } else {
        revocation = { result: stale ? "warned" : "passed",
          text: fmt(M.not_revoked_list, { when: dateTime(state.list.issuedAt) }) };
      }
      if (stale) revocation.text += " · " + M.list_stale;
    } else {
      revocation = { result: "warned",
        text: state.list ? M.no_index : M[state.listProblem || "list_missing"] };
    }
    if (entry.pending) revocation.text += " · " + M.pending;
    revocation.name = "revocation";
    revocation.label = M.check_revoked;
    checks.push(revocation);

    var expiresOn = live ? live.expires_on : p.expiresOn;
    var expiry;
    if (!expiresOn) expiry = { result: "passed", text: M.no_expiry };
    else if (expiresOn < today()) expiry = { result: "warned", text: fmt(M.expired_on, { date: expiresOn }) };
    else expiry = { result: "passed", text: fmt(M.valid_until, { date: expiresOn }) };
    expiry.name = "expiry";
    expiry.label = M.check_expiry;
    checks.push(expiry);

    if (!status) {
      if (revocation.result === "failed") status = "revoked";
      else if (expiry.result === "warned") status = "expired";
      else if (revocation.result === "passed") status = "valid";
      else status = "unknown";
    }
    if (status === "valid" && expiry.result === "warned") status = "expired";
    return { status: status, checks: checks };
  }

  function statusLabel(status) {
    return M["status_" + status] || M.status_unknown;
  }

  function verdictText(check) {
    if (check.genuine) return M.genuine;
    if (check.verdict === "foreign") return M.foreign;
    return M[check.verdict] || M.malformed;
  }

  function occupation(code) {
    var name = state.occupations[code];
    return name ? code + " " + name : code;
  }

  var RESULT_MARKS = { passed: "✓", warned: "⚠", failed: "✗" };

  function renderCard(entry) {
    var box = $("scan-result");
    box.textContent = "";
    box.hidden = false;
    var check = entry.check;
    box.setAttribute("data-verdict", check.verdict);
    if (!check.genuine) {
      // A forged or foreign QR: say so, and show nothing of what it claims.
      box.setAttribute("data-status", "none");
      box.appendChild(el("section", { className: "verdict verdict-bad", role: "alert" }, [
        el("h2", { text: check.verdict === "foreign" ? M.foreign : M.not_genuine, "data-verdict-text": "" }),
        el("p", { text: check.verdict === "foreign" ? M.foreign_detail : verdictText(check) + "（" + check.reason + "）" })
      ]));
      return;
    }
    var p = check.payload, live = entry.live, verdict = assess(entry);
    box.setAttribute("data-status", verdict.status);
    var tone = verdict.status === "valid" ? "valid" : verdict.status === "expired" ? "expired" :
      verdict.status === "unknown" ? "expired" : "revoked";
    box.appendChild(el("section", { className: "verdict verdict-" + tone }, [
      el("h2", {}, [
        document.createTextNode(M.status + "："),
        el("strong", { "data-status": verdict.status, text: statusLabel(verdict.status) })
      ]),
      el("p", { className: "signature-ok", text: M.genuine + "：" + M.genuine_detail })
    ]));
    var list = el("ul", { className: "scan-checks" });
    verdict.checks.forEach(function (c) {
      list.appendChild(el("li", { "data-check": c.name, "data-result": c.result, className: "scan-check-" + c.result }, [
        el("span", { className: "scan-mark", "aria-hidden": "true", text: RESULT_MARKS[c.result] }),
        el("span", { className: "scan-check-label", text: c.label + "：" + M[c.result] }),
        el("span", { className: "scan-check-text", text: c.text })
      ]));
    });
    box.appendChild(list);
    var facts = [
      [M.number, p.number, "number"],
      [M.kind, config.labels.kinds[p.kind] || p.kind, "kind"],
      [M.occupation, occupation(p.occupationCode), "occupation"],
      [M.level, p.level ? (config.labels.levels[p.level] || p.level) : "", "level"],
      [M.issued_on, p.issuedOn, "issued"],
      [M.expires_on, p.expiresOn || M.no_expiry, "expires"],
      [M.holder, p.holder, "holder"],
      [M.issuer, p.issuer || (live && live.issuer) || "—", "issuer"]
    ];
    var dl = el("dl", { className: "certificate-facts" });
    facts.forEach(function (f) {
      if (f[1] === "") return;
      dl.appendChild(el("dt", { text: f[0] }));
      dl.appendChild(el("dd", { text: f[1], "data-fact": f[2] }));
    });
    box.appendChild(dl);
  }

  function rowCells(entry) {
    var check = entry.check, genuine = check.genuine;
    var verdict = genuine ? assess(entry) : null;
    var status = genuine ? verdict.status : "none";
    var statusText = genuine ? statusLabel(status) : M.status_none;
    if (genuine && entry.pending) statusText += "（" + M.pending + "）";
    return {
      status: status,
      cells: [
        clock(entry.scannedAt),
        genuine ? check.payload.number : "—",
        genuine ? check.payload.holder : "—",
        verdictText(check),
        statusText
      ],
      basis: genuine ? verdict.checks[2].text : check.reason
    };
  }

  function renderList() {
    var section = $("scan-session");
    section.hidden = !$("scan-spot").checked && !state.entries.length;
    var body = $("scan-table").querySelector("tbody");
    body.textContent = "";
    state.entries.forEach(function (entry) {
      var row = rowCells(entry);
      var tr = el("tr", {
        "data-entry": String(entry.id), "data-verdict": entry.check.verdict,
        "data-status": row.status, "data-pending": entry.pending ? "yes" : "no"
      });
      row.cells.forEach(function (text) { tr.appendChild(el("td", { text: text })); });
      body.appendChild(tr);
    });
    $("scan-count").textContent = fmt(M.items_count, { n: state.entries.length });
  }

  function refresh(entry) {
    if (entry === state.current) renderCard(entry);
    renderList();
  }

  // --- camera and photos ----------------------------------------------------------------

  function decodeFrom(source, width, height) {
    var canvas = $("scan-canvas");
    var scale = Math.min(1, 960 / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    return code && code.data ? code.data : null;
  }

  function tick() {
    var video = $("scan-video");
    if (!state.stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var text = decodeFrom(video, video.videoWidth, video.videoHeight);
      if (text) {
        handleText(text).then(schedule, schedule);
        return;
      }
    }
    schedule();
  }

  function schedule() {
    if (state.stream) state.timer = setTimeout(tick, SCAN_EVERY_MS);
  }

  function startCamera() {
    var status = $("scan-camera-state");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = M.camera_refused;
      return;
    }
    navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" } }, audio: false
    }).then(function (stream) {
      state.stream = stream;
      var video = $("scan-video");
      video.srcObject = stream;
      $("scan-viewfinder").hidden = false;
      $("scan-start").hidden = true;
      $("scan-stop").hidden = false;
      status.textContent = M.camera_on;
      status.setAttribute("data-camera", "on");
      return video.play();
    }).then(schedule).catch(function () {
      status.textContent = M.camera_refused;
      status.setAttribute("data-camera", "refused");
    });
  }

  function stopCamera() {
    if (state.stream) state.stream.getTracks().forEach(function (t) { t.stop(); });
    state.stream = null;
    clearTimeout(state.timer);
    $("scan-viewfinder").hidden = true;
    $("scan-start").hidden = false;
    $("scan-stop").hidden = true;
    $("scan-camera-state").textContent = "";
    $("scan-camera-state").setAttribute("data-camera", "off");
  }

  function readPhoto(event) {
    var file = event.target.files && event.target.files[0];
    if (!file) return;
    var url = URL.createObjectURL(file);
    var img = new Image();
    img.onload = function () {
      var text = decodeFrom(img, img.naturalWidth, img.naturalHeight);
      URL.revokeObjectURL(url);
      event.target.value = "";
      if (text) {
        delete state.lastSeen[text]; // a photo chosen again is a new scan
        handleText(text);
      } else {
        $("scan-camera-state").textContent = M.no_qr_in_image;
      }
    };
    img.src = url;
  }

  // --- export and save ------------------------------------------------------------------

  function exportRows() {
    var rows = [[M.time, M.number, M.holder, M.signature, M.status, M.check_revoked]];
    state.entries.forEach(function (entry) {
      var row = rowCells(entry);
      var cells = row.cells.slice();
      cells[0] = dateTime(entry.scannedAt) + ":" + pad(entry.scannedAt.getSeconds());
      cells.push(row.basis);
      rows.push(cells);
    });
    return rows;
  }

  // A cell a spreadsheet would read as a formula is kept as text.
  function neutralise(text) {
    return /^[=+\-@\t\r]/.test(text) ? "'" + text : text;
  }

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el("a", { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function fileName(ext) {
    var d = new Date();
    return M.export_name + "-" + d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()) +
      "-" + pad(d.getHours()) + pad(d.getMinutes()) + "." + ext;
  }

  function exportCsv() {
    var lines = exportRows().map(function (row) {
      return row.map(function (cell) {
        var text = neutralise(String(cell));
        return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
      }).join(",");
    });
    download(new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" }),
      fileName("csv"));
  }

  function exportXlsx() {
    var rows = exportRows().map(function (row) { return row.map(function (c) { return neutralise(String(c)); }); });
    download(QJTXlsx.workbook(rows, M.export_name), fileName("xlsx"));
  }

  function position() {
    if (!$("scan-geo").checked || !navigator.geolocation) return Promise.resolve(null);
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        resolve({ latitude: +pos.coords.latitude.toFixed(6), longitude: +pos.coords.longitude.toFixed(6) });
      }, function () { resolve(null); }, { timeout: 10000, maximumAge: 60000 });
    });
  }

  function save(event) {
    event.preventDefault();
    var status = $("scan-save-state");
    if (!state.entries.length) { status.textContent = M.nothing_to_save; return; }
    if (!online()) { status.textContent = M.save_offline; return; }
    position().then(function (where) {
      var body = {
        place: $("scan-place").value,
        items: state.entries.map(function (e) {
          return { qr: e.text, scanned_at: e.scannedAt.toISOString() };
        })
      };
      if (where) { body.latitude = where.latitude; body.longitude = where.longitude; }
      return fetch(config.save_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": state.me.csrf_token },
        body: JSON.stringify(body)
      });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (answer) {
        status.textContent = "";
        if (r.status === 201) {
          status.setAttribute("data-saved", String(answer.id));
          status.appendChild(document.createTextNode(answer.message + " "));
          status.appendChild(el("a", { href: answer.url, text: "#" + answer.id }));
        } else {
          status.setAttribute("data-saved", "");
          status.textContent = fmt(M.save_failed, { reason: answer.error || r.status });
        }
      });
    }).catch(function () {
      status.textContent = fmt(M.save_failed, { reason: M.save_offline });
    });
  }

  // --- start ----------------------------------------------------------------------------

  function start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(config.sw_url, { scope: config.scope }).catch(function () {});
    }
    $("scan-start").addEventListener("click", startCamera);
    $("scan-stop").addEventListener("click", stopCamera);
    $("scan-file").addEventListener("change", readPhoto);
    $("scan-spot").addEventListener("change", renderList);
    $("scan-export-csv").addEventListener("click", exportCsv);
    $("scan-export-xlsx").addEventListener("click", exportXlsx);
    $("scan-clear").addEventListener("click", function () {
      state.entries = [];
      state.lastSeen = {};
      renderList();
    });
    $("scan-save").addEventListener("submit", save);
    window.addEventListener("online", recheck);
    window.addEventListener("offline", showNetwork);
    showNetwork();
    showListState();
    var ready = loadKeys().then(loadList);
    Promise.all([ready, loadOccupations(), loadMe()]).then(function () {
      document.body.setAttribute("data-scanner", "ready");
    });
  }

  start();
})();
