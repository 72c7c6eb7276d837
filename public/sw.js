// Folio's service worker: keeps the app's own files so that the app starts without the
// network. It never touches /api/ or /shl/: the records are kept, still sealed, by the app
// itself (app/src/offline), and nothing decrypted passes through here.

// Never kept, never answered from here: the API (a record, its keys, its attachments) and
// share links (a link's manifest and files, which must stop answering the moment the link
// is revoked, and which a shared computer must not keep for the next person).
const NEVER_KEPT = ["/api/", "/shl/"];

const SHELL = "folio-shell-v1";
// Always kept; the page adds the hashed files it loaded (see startServiceWorker).
const FIXED = [
  "/",
  "/manifest.webmanifest",
  "/icons/folio.svg",
  "/icons/folio-192.png",
  "/icons/folio-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(FIXED))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  const files = event.data && Array.isArray(event.data.keep) ? event.data.keep : [];
  const wanted = files.filter((path) => typeof path === "string" && isAppFile(path));
  event.waitUntil(keepOnly(wanted));
});

// Keeps `files` and the fixed ones, and lets go of older builds' hashed files.
async function keepOnly(files) {
  const cache = await caches.open(SHELL);
  const keep = new Set(FIXED.concat(files));
  await Promise.all(
    [...keep].map(async (path) => {
      if (!(await cache.match(path))) {
        await cache.add(path).catch(() => {});
      }
    }),
  );
  const kept = await cache.keys();
  await Promise.all(
    kept
      .map((request) => new URL(request.url).pathname)
      .filter((path) => !keep.has(path))
      .map((path) => cache.delete(path)),
  );
}

function isAppFile(path) {
  return (
    path.startsWith("/") &&
    !path.startsWith("//") &&
    !NEVER_KEPT.some((prefix) => path.startsWith(prefix))
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin || !isAppFile(url.pathname)) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else {
    event.respondWith(file(request, url.pathname));
  }
});

// Every page of the app is index.html: fresh from the server when it answers (so a new
// build is picked up), the kept copy when it does not.
async function page(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok && response.headers.get("content-type")?.startsWith("text/html")) {
      await cache.put("/", response.clone());
    }
    return response;
  } catch (offline) {
    const kept = await cache.match("/");
    if (kept) {
      return kept;
    }
    throw offline;
  }
}

// Hashed files never change, so a kept copy is always right; the others (manifest, icons,
// wasm-bindgen's snippets) are fetched when the server answers and kept for when it does not.
// Only app files reach here (see isAppFile); the check is repeated where a response is kept,
// so no later route can put an /api/ or /shl/ answer into the cache.
async function file(request, path) {
  if (!isAppFile(path)) {
    return fetch(request);
  }
  const cache = await caches.open(SHELL);
  if (isHashed(path)) {
    const kept = await cache.match(request);
    if (kept) {
      return kept;
    }
  }
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    const kept = await cache.match(request);
    if (kept) {
      return kept;
    }
    throw offline;
  }
}

// Trunk names built files `name-<hash>.ext`, the hash a u64 in hex without leading zeros
// (so now and then shorter than 16 digits). wasm-bindgen's snippets are not hashed by
// content, so they are fetched afresh like the manifest.
function isHashed(path) {
  return /-[0-9a-f]{12,16}(_bg)?\.[a-z]+$/.test(path);
}
