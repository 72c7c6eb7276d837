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
//! The heap is then grown by the pad at once and marked for transparent huge pages
//! (`MADV_HUGEPAGE`; the kernel's default mode leaves them to regions that ask), so the
//! trees and buffers fault in 2 MiB at a time: about 700 page faults in all, and CPU time
//! down to about 25 ms. Where the kernel has no huge pages to give, the advice is ignored.
//!
//! Only the import verb sets them, before any thread exists (an arena is chosen on a
//! thread's first allocation); `folio serve` keeps glibc's defaults.

/// The pad and thresholds: more than a large import's peak, which the heap then reaches
/// in one step and keeps until the process exits.
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
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, HEAP_STEP);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * HEAP_STEP);
        let before = libc::sbrk(0) as usize;
        // Below the mmap threshold, so it comes from the heap, which grows by it and the
        // pad; freed, it stays as the heap's top.
        // (`black_box`: an allocation nothing uses would be optimised away.)
        let grow = std::hint::black_box(libc::malloc(MMAP_THRESHOLD as usize / 2));
        libc::free(grow);
        let after = libc::sbrk(0) as usize;
        let huge_page = 2 << 20;
        let (start, end) = (
            before.next_multiple_of(huge_page),
            after / huge_page * huge_page,
        );
        if before != usize::MAX && end > start {
            // Only the pages the heap just grew by: nothing else is in that range.
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}
