//! Allocator settings for `folio import`: a short process that builds and drops a large
//! Bundle's resource trees one after another and holds a few buffers of megabytes (the
//! file, its entries' JSON, the batch).
//!
//! glibc's defaults suit long-running, many-threaded servers, and cost such a process
//! dearly: the importer's thread gets an arena of its own, grown by `mprotect` a few pages
//! at a time; every block over 128 KiB is `mmap`ed fresh (its pages faulted in one by one)
//! and unmapped on free; the heap is trimmed whenever its top is free. Measured on the
//! largest Synthea bundle, 2 cores: the client's CPU time fell from 30 to about 27 ms
//! (page faults 3,100 to 2,650) with one arena, a 64 MiB top pad and a 32 MiB mmap threshold.
//!
//! Only the import verb sets them, before any thread exists (an arena is chosen on a
//! thread's first allocation); `folio serve` keeps glibc's defaults.

/// The pad and thresholds: more than a large import's peak, so the heap grows in a few
/// large steps and is not trimmed before the process exits.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HEAP_STEP: libc::c_int = 64 << 20;

/// Blocks this large or larger are still `mmap`ed: glibc's greatest threshold on 64-bit.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Applies the settings. Call before starting the async runtime.
pub fn tune_for_import() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's tuning parameters; it is called before any
    // other thread exists, and every value is one glibc documents for its parameter.
    // (Growing the heap up front and advising huge pages saved about 2 ms more; it took
    // sbrk and madvise on raw addresses, which is not worth it.)
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, HEAP_STEP);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * HEAP_STEP);
    }
}
