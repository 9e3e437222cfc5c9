//! Scoring allocates nothing per term: once a thread's scratch buffers have grown, classifying
//! a 2,000-word text makes exactly as many allocations as classifying a 10-word one (only the
//! fixed-size result vectors).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn classifying_a_long_text_allocates_no_more_than_a_short_one() {
    let model = paratag::model::default_model().unwrap();
    let short = "The ministers discussed vaccine supplies and tariffs on steel.";
    let long = "Officials said the vaccine trial, the tariff talks and the ceasefire \
                monitors in the border region would all continue next week. "
        .repeat(100);
    // Grow this thread's scratch buffers first.
    std::hint::black_box(model.classify(&long, 0));
    let a_short = allocations_of(|| {
        std::hint::black_box(model.classify(short, 0));
    });
    let a_long = allocations_of(|| {
        std::hint::black_box(model.classify(&long, 0));
    });
    assert_eq!(
        a_short, a_long,
        "allocations must not grow with the number of terms"
    );
    assert!(
        a_long <= 4,
        "only the result vectors are allocated, got {a_long}"
    );
}
