/*
 * 黔技通 scanner service worker (served by certificates.scan.scan_service_worker, which
 * puts CACHE, PRECACHE and FRESH_FIRST above this text).
 *
 * - install: keep the page, its scripts and styles, the keys, the revocation list and the
 *   occupation names;
 * - the page and the documents (FRESH_FIRST) come from the network when there is one
 *   (and refresh the copy), else from the copy: a revocation is never hidden by a cache
 *   while online;
 * - the static files come from the copy (their names change with their content);
 * - anything else (the API, sign-in state, saving) goes to the network untouched.
 */
/* global CACHE, PRECACHE, FRESH_FIRST */
"use strict";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(PRECACHE.map(function (url) {
        // One missing document (no list published yet) must not stop the rest.
        return cache.add(new Request(url, { cache: "reload" })).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("qjt-scan-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function freshFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request.url.split("?")[0], copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

function cacheFirst(request) {
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    return hit || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (FRESH_FIRST.indexOf(url.pathname) !== -1) {
    event.respondWith(freshFirst(request));
  } else if (PRECACHE.indexOf(url.pathname) !== -1) {
    event.respondWith(cacheFirst(request));
  }
});
