//! Cold load of a document: decode and apply a stored ~300 KB state (the
//! issue's goal: under 5 ms), and memory of the loaded document against its
//! encoded size. Run with `cargo bench -p caas-collab --bench load`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use caas_collab::{Limits, Room};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use yrs::{Array, Doc, Map, ReadTxn, StateVector, Text, Transact};

/// Counts live heap bytes, to weigh a loaded document.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A whiteboard-like document: many small shapes in a map, an order array and
/// a text, written in many small transactions (like real editing).
fn document(target_bytes: usize) -> Vec<u8> {
    let doc = Doc::new();
    let shapes = doc.get_or_insert_map("shapes");
    let order = doc.get_or_insert_array("order");
    let notes = doc.get_or_insert_text("notes");
    let mut i = 0u32;
    loop {
        {
            let mut txn = doc.transact_mut();
            let key = format!("shape-{i}");
            shapes.insert(
                &mut txn,
                key.clone(),
                format!("{{\"x\":{},\"y\":{},\"w\":40,\"h\":30,\"color\":\"#3366ff\"}}", i * 7 % 1000, i * 13 % 800),
            );
            order.push_back(&mut txn, key);
            let len = notes.len(&txn);
            notes.insert(&mut txn, len, "a few words of notes ");
        }
        i += 1;
        if i.is_multiple_of(200) {
            let size = doc.transact().encode_state_as_update_v1(&StateVector::default()).len();
            if size >= target_bytes {
                return doc.transact().encode_state_as_update_v1(&StateVector::default());
            }
        }
    }
}

fn bench_load(c: &mut Criterion) {
    let state = document(300 * 1024);
    // Memory of an idle loaded document (the goal: at most twice its encoded size).
    let before = LIVE.load(Ordering::Relaxed);
    let room = match Room::load(Limits::default(), Some(&state), &[]) {
        Ok(room) => room,
        Err(e) => {
            eprintln!("the generated document does not load: {e}");
            return;
        }
    };
    let held = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "idle loaded document: {} KiB in memory for {} KiB encoded ({:.2}x)",
        held / 1024,
        state.len() / 1024,
        held as f64 / state.len() as f64
    );
    let mut room = room;
    let before = LIVE.load(Ordering::Relaxed);
    room.hibernate();
    let hibernated = held + (LIVE.load(Ordering::Relaxed) - before);
    println!(
        "idle document after hibernation: {} KiB ({:.2}x its encoded size)",
        hibernated / 1024,
        hibernated as f64 / state.len() as f64
    );
    drop(room);
    let mut g = c.benchmark_group("collab_cold_load");
    g.throughput(Throughput::Bytes(state.len() as u64));
    g.bench_function(format!("load_{}_kib", state.len() / 1024), |b| {
        b.iter(|| Room::load(Limits::default(), Some(std::hint::black_box(&state)), &[]))
    });
    g.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
