//! Usage meters on the hot paths: what one sent message, one authenticated
//! request and one take (the flush's share of work) cost. Run with
//! `cargo bench -p caas-api --bench meter`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use caas_api::billing::meters::Meter;
use caas_storage::{AppId, ConversationId, UserId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_meter(c: &mut Criterion) {
    let meter = Arc::new(Meter::default());
    let apps: Vec<AppId> = (0..100).map(|_| AppId::generate()).collect();
    let users: Vec<UserId> = (0..10_000).map(|i| format!("user-{i}").parse().expect("user id")).collect();
    let convs: Vec<ConversationId> = (0..1000).map(|_| ConversationId::generate()).collect();
    let mut i = 0usize;
    let mut g = c.benchmark_group("meter");
    g.throughput(Throughput::Elements(1));
    g.bench_function("message", |b| {
        b.iter(|| {
            i = i.wrapping_add(7919);
            meter.message(apps[i % apps.len()], convs[i % convs.len()], &users[i % users.len()]);
        })
    });
    g.bench_function("active_request", |b| {
        b.iter(|| {
            i = i.wrapping_add(7919);
            meter.active(apps[i % apps.len()], &users[i % users.len()]);
        })
    });
    g.finish();
    // What a flush takes from memory after 10 000 messages of 10 000 users.
    let mut g = c.benchmark_group("meter_take");
    g.sample_size(20);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("take_after_10k_messages", |b| {
        b.iter_batched(
            || {
                let m = Meter::default();
                for (k, u) in users.iter().enumerate() {
                    m.message(apps[k % apps.len()], convs[k % convs.len()], u);
                }
                m
            },
            |m| m.take(),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_meter);
criterion_main!(benches);
