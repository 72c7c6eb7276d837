// IndexedDB for app/src/offline: one object store of keyed values (JSON text or bytes).
// What goes in is decided in Rust, and it is only ever ciphertext or what the server
// would tell anyone signed in: wrapped keys, the record list, sealed segments.

const DATABASE = "folio-offline";
const STORE = "kept";

let opening = null;

function database() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const db = request.result;
        // Another tab deleting or upgrading the database: let go, reopen next time.
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

function settle(transaction, request) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new DOMException("aborted", "AbortError"));
  });
}

export async function keptValue(key) {
  const db = await database();
  const transaction = db.transaction(STORE, "readonly");
  const request = transaction.objectStore(STORE).get(key);
  const value = await settle(transaction, request);
  return value === undefined ? null : value;
}

// Values whose keys lie in [from, to), in key order.
export async function keptRange(from, to) {
  const db = await database();
  const transaction = db.transaction(STORE, "readonly");
  const request = transaction.objectStore(STORE).getAll(IDBKeyRange.bound(from, to, false, true));
  return settle(transaction, request);
}

// The keys in [from, to), in key order: what `keptRange` returns the values of.
export async function keptKeys(from, to) {
  const db = await database();
  const transaction = db.transaction(STORE, "readonly");
  const request = transaction.objectStore(STORE).getAllKeys(IDBKeyRange.bound(from, to, false, true));
  return settle(transaction, request);
}

// Writes `keys[i] = values[i]` for every i and, first, deletes the keys in [dropFrom, dropTo)
// when given: one transaction, so a reader sees the old values or the new ones, never a mix.
export async function keep(keys, values, dropFrom, dropTo) {
  const db = await database();
  const transaction = db.transaction(STORE, "readwrite");
  const store = transaction.objectStore(STORE);
  if (dropFrom != null) {
    store.delete(IDBKeyRange.bound(dropFrom, dropTo, false, true));
  }
  keys.forEach((key, i) => store.put(values[i], key));
  return settle(transaction, null);
}

export async function forgetKept() {
  const db = await database();
  const transaction = db.transaction(STORE, "readwrite");
  transaction.objectStore(STORE).clear();
  return settle(transaction, null);
}

// The service worker (public/sw.js) keeps the app's own files for offline starts. The page
// tells it which files it loaded, since the worker was not there yet to see the first load.
export function startServiceWorker() {
  if (!("serviceWorker" in navigator)) {
    return;
  }
  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const files = performance
        .getEntriesByType("resource")
        .map((entry) => new URL(entry.name))
        .filter((url) => url.origin === location.origin && !url.pathname.startsWith("/api/"))
        .map((url) => url.pathname);
      // The pages loaded on demand, which this visit may not have opened yet: kept too, so
      // that they open offline (`cargo xtask build` names them here).
      const meta = document.querySelector('meta[name="folio-app-files"]');
      const appFiles = meta ? meta.content.split(" ").filter((path) => path) : [];
      registration.active.postMessage({ keep: files.concat(appFiles) });
    })
    .catch((error) => console.warn("Folio works online only in this browser:", error));
}
