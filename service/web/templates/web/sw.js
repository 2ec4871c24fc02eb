// Kinerja's service worker (served at /sw.js by service/web/offline.py, which fills CONFIG).
// It keeps two things for offline use, and nothing else:
// - the static assets, in a cache named by their version (an older version's is deleted);
// - the last copy of each page in CONFIG.pages that the user opened, served only when the
//   network fails, marked with the time it was saved (the page shows it in a banner).
// It never handles a POST: unsent forms are kept by the page's outbox (static/offline.js).
"use strict";
var CONFIG = {{ config|safe }};
var STATIC = "kinerja-static-" + CONFIG.version;
var PAGES = "kinerja-pages";
var MAX_PAGES = 60;
var SAVED_AT = "Kinerja-Saved-At";
var pagePatterns = CONFIG.pages.map(function (source) { return new RegExp(source); });

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC)
    .then(function (cache) { return cache.addAll(CONFIG.assets); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("kinerja-static-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (CONFIG.assets.indexOf(url.pathname) !== -1) {
    event.respondWith(asset(request));
  } else if (request.mode === "navigate" && isKeptPage(url.pathname)) {
    event.respondWith(page(event, url));
  }
});

function isKeptPage(path) {
  return pagePatterns.some(function (pattern) { return pattern.test(path); });
}

// Assets: from the versioned cache, else from the network (and kept).
function asset(request) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (found) {
      return found || fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

// Pages: always from the network while it answers (each answer replaces the copy);
// the copy only when the network fails.
function page(event, url) {
  return fetch(event.request).then(function (response) {
    var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    if (response.status === 200 && response.type === "basic" && html) {
      event.waitUntil(keep(url, response.clone()));
    }
    return response;
  }).catch(function () {
    return copyOf(url).then(function (copy) { return copy || Response.error(); });
  });
}

function keep(url, response) {
  var key = url.origin + url.pathname + url.search;
  return response.text().then(function (html) {
    var headers = bodyless(response.headers);
    headers.set(SAVED_AT, new Date().toISOString());
    return caches.open(PAGES).then(function (cache) {
      // Deleted first so that the newest copy is last in the cache's order.
      return cache.delete(key).then(function () {
        return cache.put(key, new Response(html, { status: 200, headers: headers }));
      }).then(function () { return cache.keys(); }).then(function (keys) {
        var extra = keys.slice(0, Math.max(0, keys.length - MAX_PAGES));
        return Promise.all(extra.map(function (old) { return cache.delete(old); }));
      });
    });
  });
}

// The copy of this address, else of the same page with other parameters (such as
// /team?member=5, whose form is on the /team copy); marked for the page's banner.
function copyOf(url) {
  var options = { ignoreVary: true };
  return caches.open(PAGES).then(function (cache) {
    var key = url.origin + url.pathname + url.search;
    return cache.match(key, options).then(function (found) {
      return found || cache.match(key, { ignoreVary: true, ignoreSearch: true });
    });
  }).then(function (found) {
    if (!found) { return null; }
    return found.text().then(function (html) {
      var saved = found.headers.get(SAVED_AT) || "";
      var marked = html.replace("<body", '<body data-offline-copy="' + saved + '"');
      return new Response(marked, { status: 200, headers: bodyless(found.headers) });
    });
  });
}

// The headers without those that describe the body as it was sent (it is rewritten here).
function bodyless(original) {
  var headers = new Headers(original);
  headers.delete("Content-Length");
  headers.delete("Content-Encoding");
  return headers;
}
