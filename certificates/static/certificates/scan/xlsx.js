/*
 * 黔技通 scanner: a tiny XLSX writer (one sheet of text cells) for the spot-check list,
 * so that it exports without a network. The file is a ZIP of "stored" (uncompressed)
 * entries holding the smallest SpreadsheetML package Excel, WPS and openpyxl open.
 */
(function (root) {
  "use strict";

  var CRC_TABLE = (function () {
    var table = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    var crc = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  function le(bytes, offset, value, size) {
    for (var i = 0; i < size; i++) bytes[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  /* files: [{name, data: Uint8Array}] → Uint8Array of a ZIP with stored entries. */
  function zip(files) {
    var encoder = new TextEncoder();
    var chunks = [], central = [], offset = 0;
    files.forEach(function (file) {
      var name = encoder.encode(file.name);
      var crc = crc32(file.data);
      var local = new Uint8Array(30 + name.length);
      le(local, 0, 0x04034b50, 4);
      le(local, 4, 20, 2); // version needed
      le(local, 6, 0x0800, 2); // UTF-8 names
      le(local, 8, 0, 2); // stored
      le(local, 10, 0, 2);
      le(local, 12, 0x21, 2); // 1980-01-01
      le(local, 14, crc, 4);
      le(local, 18, file.data.length, 4);
      le(local, 22, file.data.length, 4);
      le(local, 26, name.length, 2);
      local.set(name, 30);
      var entry = new Uint8Array(46 + name.length);
      le(entry, 0, 0x02014b50, 4);
      le(entry, 4, 20, 2);
      le(entry, 6, 20, 2);
      le(entry, 8, 0x0800, 2);
      le(entry, 12, 0, 2);
      le(entry, 14, 0x21, 2);
      le(entry, 16, crc, 4);
      le(entry, 20, file.data.length, 4);
      le(entry, 24, file.data.length, 4);
      le(entry, 28, name.length, 2);
      le(entry, 42, offset, 4);
      entry.set(name, 46);
      chunks.push(local, file.data);
      central.push(entry);
      offset += local.length + file.data.length;
    });
    var centralSize = central.reduce(function (n, c) { return n + c.length; }, 0);
    var end = new Uint8Array(22);
    le(end, 0, 0x06054b50, 4);
    le(end, 8, files.length, 2);
    le(end, 10, files.length, 2);
    le(end, 12, centralSize, 4);
    le(end, 16, offset, 4);
    var all = chunks.concat(central, [end]);
    var out = new Uint8Array(offset + centralSize + 22), at = 0;
    all.forEach(function (c) { out.set(c, at); at += c.length; });
    return out;
  }

  function xml(text) {
    return String(text)
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function column(n) {
    var name = "";
    for (n += 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
    return name;
  }

  /* rows: arrays of text (the first is the heading) → an .xlsx Blob. */
  function workbook(rows, sheetName) {
    var encoder = new TextEncoder();
    var sheetRows = rows.map(function (row, r) {
      var cells = row.map(function (value, c) {
        return '<c r="' + column(c) + (r + 1) + '" t="inlineStr"><is><t xml:space="preserve">' +
          xml(value) + "</t></is></c>";
      });
      return '<row r="' + (r + 1) + '">' + cells.join("") + "</row>";
    });
    var head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
    var files = [
      ["[Content_Types].xml", head +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
        "</Types>"],
      ["_rels/.rels", head +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
        "</Relationships>"],
      ["xl/workbook.xml", head +
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
        '<sheets><sheet name="' + xml(sheetName || "Sheet1") + '" sheetId="1" r:id="rId1"/></sheets></workbook>'],
      ["xl/_rels/workbook.xml.rels", head +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
        "</Relationships>"],
      ["xl/worksheets/sheet1.xml", head +
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
        sheetRows.join("") + "</sheetData></worksheet>"]
    ].map(function (f) { return { name: f[0], data: encoder.encode(f[1]) }; });
    return new Blob([zip(files)], {
      type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    });
  }

  root.QJTXlsx = { workbook: workbook, zip: zip, crc32: crc32 };
})(self);
