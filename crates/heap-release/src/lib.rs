//! Keeps the heap of a long-running process small under glibc's malloc.
//!
//! glibc gives each thread that allocates its own arena (up to eight per core) and keeps what
//! is freed inside them for later. For a daemon on a small board that wakes up for a sync or a
//! dashboard visit, then waits for hours, this means memory that grows with each burst and is
//! never given back: `linky run` grew from 15 to 20 MB over 200 dashboard visits (issue 17).
//! Two calls fix that: [`use_one_arena`] at start, [`release_freed`] after a burst of work.
//!
//! On other C libraries (musl, which keeps little) both are no-ops.

/// Makes every thread allocate from one arena. Call at the very start of `main`, before any
/// thread is started.
///
/// Why: the threads of a small daemon seldom allocate at the same time, so one arena costs
/// next to nothing in contention, while each further arena keeps its own freed memory.
pub fn use_one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets an allocator parameter; it takes plain integers and is
        // documented as callable at any time (it takes the arena locks itself).
        #[allow(unsafe_code)]
        let _ = unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) };
    }
}

/// Gives the memory freed since the last call back to the system, wherever it lies in the
/// heap (not only at its top, which is all glibc returns by itself). Returns whether anything
/// was given back.
///
/// Call when a burst of work has ended: it walks and locks the arenas, which costs a fraction
/// of a millisecond on a heap of a few megabytes.
pub fn release_freed() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free pages of the allocator's own heap to the
        // system; it takes a plain integer (the bytes to keep at the top) and no pointer.
        #[allow(unsafe_code)]
        let released = unsafe { libc::malloc_trim(0) };
        released != 0
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_memory_is_given_back() {
        use_one_arena();
        // Many small blocks (below the mmap threshold, so they live in the heap), all freed:
        // glibc keeps them until asked.
        let blocks: Vec<Vec<u8>> = (0..4096).map(|i| vec![i as u8; 1000]).collect();
        let kept = blocks.iter().map(|b| b[0] as u64).sum::<u64>();
        drop(blocks);
        assert!(kept > 0);
        let released = release_freed();
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        assert!(released, "four megabytes freed, none given back");
        let _ = released;
    }
}
