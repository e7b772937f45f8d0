//! Pieces of work computed on every core and handed over in their order, with a bounded
//! number in flight: what the streamed connection list needs to write rows as fast as
//! they are computed without holding the output (`crate::connlist`).
//!
//! Natively, one rayon task per thread takes the next piece number, computes it with its
//! own state and sends it; the caller's thread puts the pieces back in order and hands
//! each to `sink` as soon as every piece before it has been. A thread does not start a
//! piece more than [`AHEAD_PER_THREAD`] pieces per thread past the last one handed over, so at most that many
//! wait in memory however slow the sink is. In the wasm build (one thread) and with one
//! rayon thread, the pieces are computed and handed over one by one.

use std::io;

/// How many pieces may be computed ahead of the sink, per thread.
pub const AHEAD_PER_THREAD: usize = 4;

/// Computes `count` pieces with `piece(state, i, buf)` (each thread's `state` from
/// `init`; `buf` arrives empty) and hands them to `sink` in order 0, 1, 2, … The first
/// error of `sink` stops the work and is returned.
pub fn for_each_in_order<S>(
    count: usize,
    init: &(dyn Fn() -> S + Sync),
    piece: &(dyn Fn(&mut S, usize, &mut Vec<u8>) + Sync),
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = rayon::current_num_threads();
        if threads > 1 && count > 1 {
            return parallel::run(count, threads, init, piece, sink);
        }
    }
    let mut state = init();
    let mut buf = Vec::new();
    for i in 0..count {
        buf.clear();
        piece(&mut state, i, &mut buf);
        sink(&buf)?;
    }
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
mod parallel {
    use crate::ordered::AHEAD_PER_THREAD;
    use std::collections::BTreeMap;
    use std::io;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::sync::{Condvar, Mutex, PoisonError};

    /// How far the sink has got: pieces below this number are handed over.
    struct Progress {
        done: Mutex<usize>,
        moved: Condvar,
        stop: AtomicBool,
    }

    impl Progress {
        /// Waits until piece `i` may start; `false` when the work was stopped.
        fn wait_for_room(&self, i: usize, ahead: usize) -> bool {
            let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
            while i >= *done + ahead && !self.stop.load(Ordering::Relaxed) {
                done = self.moved.wait(done).unwrap_or_else(PoisonError::into_inner);
            }
            !self.stop.load(Ordering::Relaxed)
        }

        fn advance(&self, to: usize) {
            *self.done.lock().unwrap_or_else(PoisonError::into_inner) = to;
            self.moved.notify_all();
        }

        fn halt(&self) {
            self.stop.store(true, Ordering::Relaxed);
            // Taking the lock orders the flag before any waiter's next check.
            drop(self.done.lock().unwrap_or_else(PoisonError::into_inner));
            self.moved.notify_all();
        }
    }

    pub(super) fn run<S>(
        count: usize,
        threads: usize,
        init: &(dyn Fn() -> S + Sync),
        piece: &(dyn Fn(&mut S, usize, &mut Vec<u8>) + Sync),
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let ahead = threads * AHEAD_PER_THREAD;
        let next = AtomicUsize::new(0);
        let progress = Progress {
            done: Mutex::new(0),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
        };
        let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
        // Buffers go back to the threads once written: fresh ones of a megabyte each cost
        // the kernel a page fault per page.
        let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
        rayon::in_place_scope(|scope| {
            for _ in 0..threads.min(count) {
                let tx = tx.clone();
                let (next, progress, spare) = (&next, &progress, &spare);
                scope.spawn(move |_| {
                    let mut state = init();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count || !progress.wait_for_room(i, ahead) {
                            break;
                        }
                        let mut buf = spare
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop()
                            .unwrap_or_default();
                        piece(&mut state, i, &mut buf);
                        if tx.send((i, buf)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            // This thread writes: pieces that arrive early wait here for their turn.
            let mut waiting: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
            let mut done = 0;
            let mut result = Ok(());
            while done < count {
                let Ok((i, buf)) = rx.recv() else { break };
                waiting.insert(i, buf);
                while let Some(mut buf) = waiting.remove(&done) {
                    if let Err(e) = sink(&buf) {
                        result = Err(e);
                        break;
                    }
                    done += 1;
                    buf.clear();
                    spare.lock().unwrap_or_else(PoisonError::into_inner).push(buf);
                }
                if result.is_err() {
                    break;
                }
                progress.advance(done);
            }
            if result.is_err() {
                progress.halt();
            }
            drop(rx);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::for_each_in_order;
    use std::io;

    /// Piece `i` is its number, as text, once per piece its thread computed before:
    /// per-thread state must not leak into the order or the bytes.
    fn numbers(count: usize, stop_after: Option<usize>) -> (io::Result<()>, Vec<String>) {
        let mut seen = Vec::new();
        let result = for_each_in_order(
            count,
            &|| 0usize,
            &|computed, i, buf| {
                *computed += 1;
                buf.extend_from_slice(i.to_string().as_bytes());
            },
            &mut |b| {
                if stop_after.is_some_and(|n| seen.len() == n) {
                    return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
                }
                seen.push(String::from_utf8_lossy(b).into_owned());
                Ok(())
            },
        );
        (result, seen)
    }

    #[test]
    fn pieces_arrive_in_order() {
        let (result, seen) = numbers(1000, None);
        assert!(result.is_ok());
        let expected: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn the_first_error_of_the_sink_stops_the_work() {
        let (result, seen) = numbers(1000, Some(10));
        assert_eq!(result.map_err(|e| e.kind()), Err(io::ErrorKind::BrokenPipe));
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn no_pieces_no_calls() {
        let (result, seen) = numbers(0, None);
        assert!(result.is_ok() && seen.is_empty());
    }
}
